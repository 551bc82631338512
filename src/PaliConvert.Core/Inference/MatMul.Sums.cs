using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace PaliConvert.Inference;

public static partial class MatMul
{
    /// <summary>
    /// Where a panel's sums go: group g's row i (16 columns) at At + g * GroupStride + i * RowStride. In y itself
    /// (rows Out apart), or, for the 256-bit kernel, in a buffer of groups, each [s, 16] contiguous, scattered into y
    /// once complete: rows 64 KB apart (a 3B's gate) all fall in one L1 and one L2 set, so the 12 sums each kernel call
    /// adds to came from L3 every time (a 1,024-input call ran 0.86x as fast as with rows 1 KB apart; bench/README).
    /// </summary>
    private readonly record struct Sums(float[] Y, int RowStride, int At, int GroupStride)
    {
        public static Sums Rows(float[] y, int stride, int col) => new(y, stride, col, Cols);

        public static Sums Groups(float[] buffer, int s, int group) => new(buffer, Cols, group * s * Cols, s * Cols);
    }

    /// <summary>16-column groups per count outputs.</summary>
    private static int GroupsOf(int count) => (count + Cols - 1) / Cols;

    /// <summary>Outputs [0, count) of s rows from groups (from <paramref name="group"/> on) into y's columns from yCol.</summary>
    private static void Scatter(float[] sums, int s, int group, int count, float[] y, int yStride, int yCol)
    {
        int groups = GroupsOf(count), whole = count / Cols;
        _ = sums.AsSpan((group + groups) * s * Cols - Cols, Cols); // the bounds checks: the copies go by reference
        _ = y.AsSpan((s - 1) * yStride + yCol, count);
        ref float from = ref MemoryMarshal.GetArrayDataReference(sums);
        ref float to = ref MemoryMarshal.GetArrayDataReference(y);
        for (int i = 0; i < s; i++)
        {
            ref float row = ref Unsafe.Add(ref to, i * yStride + yCol);
            for (int g = 0; g < groups; g++)
            {
                ref float src = ref Unsafe.Add(ref from, ((group + g) * s + i) * Cols);
                ref float dst = ref Unsafe.Add(ref row, g * Cols);
                if (g < whole)
                {
                    Vector256.LoadUnsafe(ref src).StoreUnsafe(ref dst);
                    Vector256.LoadUnsafe(ref src, 8).StoreUnsafe(ref dst, 8);
                }
                else
                    for (int c = 0; c < count - whole * Cols; c++) Unsafe.Add(ref dst, c) = Unsafe.Add(ref src, c);
            }
        }
    }
}
