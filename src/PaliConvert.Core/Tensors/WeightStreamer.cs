namespace PaliConvert.Tensors;

/// <summary>
/// The one streaming write path of every writer (safetensors shards, ONNX external data, npz members): weights are
/// written in order, each gathered from its view with the views after it read ahead (a 512 MB window), its byte count
/// checked against what was planned, and progress reported by bytes. Memory is the gather's blocks and the window.
/// </summary>
public sealed class WeightStreamer : IDisposable
{
    private readonly IReadOnlyList<(string name, IWeightData data)> _weights;
    private readonly ReadAhead _readAhead;
    private readonly ViewGather _gather = new();
    private readonly IProgress<(string, double)>? _progress;
    private readonly long _total;
    private long _done;
    private int _next;

    public WeightStreamer(IReadOnlyList<(string name, IWeightData data)> weights, IProgress<(string, double)>? progress = null)
    {
        _weights = weights;
        _progress = progress;
        _total = Math.Max(1, weights.Sum(w => w.data.Bytes));
        _readAhead = new ReadAhead(weights.Select(w => w.data.View).ToList());
    }

    /// <summary>Writes the next weight into <paramref name="output"/>; returns its name and byte count.</summary>
    public (string name, long bytes) WriteNext(Stream output)
    {
        if (_next >= _weights.Count) throw new InvalidOperationException("every weight is written");
        var (name, data) = _weights[_next];
        _readAhead.From(_next++);
        long before = output.Position;
        data.Write(_gather, output);
        long written = output.Position - before;
        if (written != data.Bytes) throw new InvalidOperationException($"'{name}': wrote {written} bytes, planned {data.Bytes}");
        _done += written;
        _progress?.Report((name, (double)_done / _total));
        return (name, written);
    }

    public void Dispose() => _readAhead.Dispose();
}
