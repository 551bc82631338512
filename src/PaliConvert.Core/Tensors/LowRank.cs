namespace PaliConvert.Tensors;

/// <summary>
/// A LoRA update of a [Rows, Cols] weight: W' = Gain_i (W + Scale L R), L [Rows, Rank], R [Rank, Cols], read from the
/// adapter's mapped tensors when a tensor is written (L is lora_B and R lora_A; for an embedding, lora_embedding_A and
/// lora_embedding_B transposed). <see cref="Gains"/> is DoRA's per-row m_i / ||W_i + Scale L_i R||, else null.
/// </summary>
public sealed record LowRank(string Module, TensorInfo L, TensorInfo R, int Rank, float Scale, long Rows, long Cols,
    bool Transposed = false)
{
    public Lazy<float[]>? Gains { get; init; }

    /// <summary>L as [Rows, Rank] float32.</summary>
    public float[] ReadL() => Transposed ? ReadTransposed(L, Rank, Rows) : ReadWhole(L);

    /// <summary>R as [Rank, Cols] float32.</summary>
    public float[] ReadR() => Transposed ? ReadTransposed(R, Cols, Rank) : ReadWhole(R);

    /// <summary>L transposed, [Rank, Rows]: the layout a row of outputs accumulates along.</summary>
    public float[] ReadLColumns() => Transposed ? ReadWhole(L) : ReadTransposed(L, Rows, Rank);

    /// <summary>The virtual [Rows, Cols] tensor the update's views stride over (its bytes are never read).</summary>
    public TensorView View(string name) => TensorView.Of(new TensorInfo(name, DType.F32, [Rows, Cols], L.Data));

    private static float[] ReadWhole(TensorInfo t)
    {
        var v = new float[t.Elements];
        t.ReadF32(0, v);
        t.Data.Release(0, t.ByteLength); // read once per tensor written: the adapter's pages do not stay resident
        return v;
    }

    private static float[] ReadTransposed(TensorInfo t, long rows, long cols) => Transpose(ReadWhole(t), rows, cols);

    /// <summary>A row-major [rows, cols] matrix as [cols, rows].</summary>
    public static float[] Transpose(float[] v, long rows, long cols)
    {
        var o = new float[v.Length];
        for (long r = 0; r < rows; r++)
            for (long c = 0; c < cols; c++) o[c * rows + r] = v[r * cols + c];
        return o;
    }
}

/// <summary>A view's share of a LoRA update: the same view operations applied to the update's virtual tensor.</summary>
public sealed record TensorDelta(LowRank Update, TensorView View);
