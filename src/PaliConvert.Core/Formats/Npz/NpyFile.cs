using System.Runtime.InteropServices;
using PaliConvert.IO;
using PaliConvert.Tensors;

namespace PaliConvert.Formats.Npz;

/// <summary>A standalone .npy file (np.load reads it), written beside and renamed when complete.</summary>
public static class NpyFile
{
    public static void WriteF32(string path, long[] shape, ReadOnlyMemory<float> values, bool force = true, params string[] inputs)
    {
        using var output = AtomicOutput.ForFile(path, force, inputs);
        WriteF32(output, shape, values);
    }

    /// <summary>Into an output claimed earlier (so a refusal comes before the work, not after it); written from the
    /// values in place (a copy of a 3B's 16 MB of logits first cost 50 ms, most of it faulting in the new pages).</summary>
    public static void WriteF32(AtomicOutput output, long[] shape, ReadOnlyMemory<float> values)
    {
        if (Shape.Elements(shape) != values.Length) throw new ArgumentException("shape does not match the values");
        var header = NpyHeader.Write(DType.F32, shape);
        output.Writing(() =>
        {
            using var fs = new FileStream(output.TempPath, FileMode.CreateNew, FileAccess.Write);
            fs.Write(header);
            fs.Write(MemoryMarshal.AsBytes(values.Span));
        });
        output.Commit();
    }

    public static (long[] shape, float[] values) ReadF32(string path)
    {
        using var f = new MappedFile(path);
        var h = NpyHeader.Parse(f.Span(0, (int)Math.Min(f.Length, NpyHeader.MaxHeader + 12)), path);
        var t = new TensorInfo(Path.GetFileName(path), h.DType, h.Shape, f.Region(h.DataOffset, f.Length - h.DataOffset));
        if (t.ByteLength != Shape.Bytes(h.Shape, h.DType))
            throw new BadInputException(path, $"{path}: header says {Shape.Format(h.Shape)} but the file holds {t.ByteLength} data bytes");
        var v = new float[t.Elements];
        t.ReadF32(0, v);
        return (h.Shape, v);
    }
}
