using System.Collections.Concurrent;

namespace PaliConvert.IO;

/// <summary>
/// Pinned, aligned write buffers kept from one write-behind stream for the next (a sharded writer's shards, say), at
/// most one stream's worth. Owned by whoever writes the streams and passed in: a new set per shard had grown jax2hf
/// 10B's anonymous memory to 379 MB.
/// </summary>
public sealed class PinnedBuffers
{
    private const int Kept = 6;
    private readonly ConcurrentBag<ArraySegment<byte>> _buffers = new();

    public bool TryTake(int size, out ArraySegment<byte> buffer)
    {
        while (_buffers.TryTake(out buffer))
            if (buffer.Count == size) return true;
        return false;
    }

    /// <summary>Keeps buffers from <paramref name="free"/> while fewer than one stream's worth are kept.</summary>
    public void Keep(ConcurrentBag<ArraySegment<byte>> free)
    {
        while (_buffers.Count < Kept && free.TryTake(out var b)) _buffers.Add(b);
    }
}
