using PaliConvert.Errors;

namespace PaliConvert.Tensors;

public sealed partial class ViewGather
{
    /// <summary>
    /// Padding rows hold the mean of the real rows, computed in float64, rounded to float32, then cast. Summed in
    /// blocks of rows on every core, the blocks' sums added in order: the same result on any number of cores.
    /// </summary>
    private void WriteMeanRows(TensorView v, DType to, Stream output)
    {
        long rows = v.Shape[0], cols = v.Shape[1];
        if (v.Strides[1] != 1 || v.Strides[0] != cols)
            throw new BadInputException(v.Source.Data.File.Path, $"{v.Source.Data.File.Path}: tensor '{v.Source.Name}': pad_rows needs " +
                $"plain rows");
        int blocks = (int)((rows + MeanBlock - 1) / MeanBlock);
        var sums = new double[blocks][];
        Action<int> block = b => sums[b] = SumRows(v, b * MeanBlock, Math.Min(MeanBlock, rows - b * MeanBlock));
        if (v.Delta != null) for (int b = 0; b < blocks; b++) block(b); // the delta's gather is this instance's: one thread
        else Parallel.For(0, blocks, block);
        var row = new float[cols];
        for (int c = 0; c < cols; c++)
        {
            double sum = 0;
            foreach (var part in sums) sum += part[c];
            row[c] = (float)(sum / rows);
        }
        var bytes = new byte[cols * to.Size()];
        FloatConvert.FromF32(to, row, bytes);
        for (long r = rows; r < v.PadRowsTo; r++) output.Write(bytes);
    }

    private const int MeanBlock = 4096;

    private double[] SumRows(TensorView v, long first, long count)
    {
        long cols = v.Shape[1];
        var sum = new double[cols];
        var row = new float[cols];
        int es = v.Source.DType.Size();
        for (long r = first; r < first + count; r++)
        {
            v.Source.ReadF32(v.Offset + r * cols, row);
            if (v.Delta != null) _delta.Apply(v.Delta, r * cols, row);
            for (int c = 0; c < cols; c++) sum[c] += row[c];
            if ((r & 1023) == 1023) v.Source.Data.Release((v.Offset + r - 1023) * cols * es, 1024 * cols * es);
        }
        return sum;
    }
}
