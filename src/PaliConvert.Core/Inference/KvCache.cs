using PaliConvert.Models;

namespace PaliConvert.Inference;

/// <summary>
/// The decoder's keys (after RoPE) and values for every position run so far, per layer, with each position's mask
/// group (cumsum of mask_ar; image and prefix 0): what a later step attends to. Grown by doubling up to what is run.
/// A full pass that takes no later step keeps one layer's buffers and reuses them (<c>retain: false</c>).
/// </summary>
public sealed class KvCache(DecoderArch d, int capacity, bool retain = true)
{
    private readonly float[][] _k = new float[retain ? d.Layers : 1][], _v = new float[retain ? d.Layers : 1][];
    private int[] _group = new int[Math.Max(1, capacity)];
    private int _capacity = Math.Max(1, capacity);
    private readonly int _row = d.KvHeads * d.HeadDim;

    /// <summary>Positions run so far.</summary>
    public int Length { get; private set; }

    /// <summary>The group of every position, those being run included.</summary>
    public int[] Groups => _group;

    /// <summary>Makes room for <paramref name="n"/> more positions with the given groups (called before a chunk runs).</summary>
    internal void Reserve(int n, ReadOnlySpan<int> groups)
    {
        int need = Length + n;
        if (need > _capacity)
        {
            _capacity = Math.Max(need, _capacity * 2);
            Array.Resize(ref _group, _capacity);
            for (int l = 0; l < _k.Length; l++)
            {
                if (_k[l] != null) Array.Resize(ref _k[l], _capacity * _row);
                if (_v[l] != null) Array.Resize(ref _v[l], _capacity * _row);
            }
        }
        groups.CopyTo(_group.AsSpan(Length));
    }

    /// <summary>Layer <paramref name="l"/>'s keys and values, [capacity, kvHeads * headDim] each.</summary>
    internal (float[] k, float[] v) Layer(int l)
    {
        int i = _k.Length == 1 ? 0 : l;
        _k[i] ??= new float[_capacity * _row];
        _v[i] ??= new float[_capacity * _row];
        return (_k[i], _v[i]);
    }

    /// <summary>The chunk's positions are now part of what later steps see.</summary>
    internal void Commit(int n) => Length += n;
}
