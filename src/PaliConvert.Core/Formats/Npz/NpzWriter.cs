using PaliConvert.Formats.Zip;
using PaliConvert.Tensors;

namespace PaliConvert.Formats.Npz;

/// <summary>Writes an .npz that np.load and big_vision read: stored members, one .npy each, data streamed in.</summary>
public sealed class NpzWriter : IDisposable
{
    private readonly ZipWriter _zip;
    private readonly string _prefix;

    public NpzWriter(string path, string prefix = "")
    {
        _zip = new ZipWriter(path);
        _prefix = prefix;
    }

    public void BeginTensor(string name, DType dtype, long[] shape)
    {
        var header = NpyHeader.Write(dtype, shape);
        _zip.BeginMember(_prefix + name + ".npy", header.Length + Shape.Bytes(shape, dtype));
        _zip.Write(header);
    }

    public void Write(ReadOnlySpan<byte> data) => _zip.Write(data);

    /// <summary>The archive comment: numpy ignores it; PaliConvert records the source's fingerprint there.</summary>
    public string Comment { set => _zip.Comment = value; }

    /// <summary>The open tensor's data as a write-only stream (for writers that stream into a Stream).</summary>
    public Stream TensorStream() => new MemberStream(this);

    private sealed class MemberStream(NpzWriter owner) : IO.WriteOnlyStream
    {
        public override void Write(ReadOnlySpan<byte> buffer) { owner.Write(buffer); Written += buffer.Length; }
        public override void Flush() { }
    }

    public void EndTensor() => _zip.EndMember();
    public void Finish() => _zip.Finish();
    public void Dispose() => _zip.Dispose();
}
