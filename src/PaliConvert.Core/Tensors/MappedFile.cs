using System.IO.MemoryMappedFiles;

namespace PaliConvert.Tensors;

/// <summary>A read-only memory map of a whole file. Tensors are <see cref="Region"/>s of it, so nothing is copied until used.</summary>
public sealed unsafe class MappedFile : IDisposable
{
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly byte* _base;

    public string Path { get; }
    public long Length { get; }

    public MappedFile(string path)
    {
        Path = path;
        if (SplitParts.Of(path) is { } parts)
        {
            (var at, Length) = MapParts(parts);
            _base = (byte*)at;
            _parts = true;
            _pageAligned = true;
            return;
        }
        var fs = _file = RegularFile.OpenRead(path);
        Length = fs.Length;
        if (Length == 0) return; // an empty file cannot be mapped; every region of it is empty
        _map = RegularFile.Reading(path, () => MemoryMappedFile.CreateFromFile(fs, null, 0, MemoryMappedFileAccess.Read,
            HandleInheritability.None, leaveOpen: true));
        _view = _map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        byte* p = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        _base = p + _view.PointerOffset;
        _pageAligned = (long)p % Environment.SystemPageSize == 0; // known here: Advise must not touch the view, which may close
    }

    private bool _disposed;
    private readonly FileStream? _file; // kept for Read: the map's own handle closes with it
    private readonly bool _pageAligned, _parts;

    /// <summary>
    /// Byte-split parts mapped one after another into one reserved range, so the whole file reads as one span with
    /// nothing copied. Every part but the last must be a whole number of pages (split -b sizes such as 1G, 4G are).
    /// </summary>
    private static (IntPtr at, long length) MapParts(IReadOnlyList<string> parts)
    {
        if (!OperatingSystem.IsLinux())
            throw new BadInputException(parts[0], $"{parts[0]}: split parts are read in place on Linux only; join them with cat");
        var handles = parts.Select(p => RegularFile.OpenRead(p)).ToList();
        try
        {
            long page = Environment.SystemPageSize, total = 0;
            var sizes = handles.Select(h => h.Length).ToList();
            for (int i = 0; i < parts.Count - 1; i++)
                if (sizes[i] % page != 0 || sizes[i] == 0)
                    throw new BadInputException(parts[i], $"{parts[i]}: a part of {sizes[i]} bytes, not a whole number of " +
                        $"{page}-byte pages, cannot be mapped beside the next; join the parts with cat, or split with a size such as 1G");
            total = sizes.Sum();
            if (total == 0) throw new BadInputException(parts[0], $"{parts[0]}: the parts are empty");
            var at = Native.Reserve(total);
            if (at == -1) throw new BadInputException(parts[0], $"{parts[0]}: cannot reserve {total} bytes of address space");
            long off = 0;
            for (int i = 0; i < parts.Count; i++)
            {
                if (sizes[i] > 0 && Native.MapAt(at + (nint)off, sizes[i], handles[i].SafeFileHandle) == -1)
                {
                    Native.Unmap(at, total);
                    throw new BadInputException(parts[i], $"{parts[i]}: cannot be mapped");
                }
                off += sizes[i];
            }
            return (at, total);
        }
        finally
        {
            foreach (var h in handles) h.Dispose();
        }
    }

    public ReadOnlySpan<byte> Span(long offset, int length)
    {
        ObjectDisposedException.ThrowIf(_disposed, this); // the map is gone: a span would read unmapped memory
        if (offset < 0 || length < 0 || offset + length > Length)
            throw new ArgumentOutOfRangeException(nameof(offset), $"bytes {offset}..{offset + length} are outside {Path} ({Length} bytes)");
        return length == 0 ? ReadOnlySpan<byte>.Empty : new ReadOnlySpan<byte>(_base + offset, length);
    }

    /// <summary>
    /// Copies [offset, offset + dst.Length) with pread rather than through the map (split parts: through the map).
    /// A streaming reader wants this: each first touch of a mapped page is a fault, and every page a TLB walk, which
    /// under a VM's shadow paging cost 7x a read of the same bytes (bench/README.md, "Reading the weights").
    /// </summary>
    public void Read(long offset, Span<byte> dst)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (offset < 0 || offset + dst.Length > Length)
            throw new ArgumentOutOfRangeException(nameof(offset),
                $"bytes {offset}..{offset + dst.Length} are outside {Path} ({Length} bytes)");
        if (_file == null) { Span(offset, dst.Length).CopyTo(dst); return; }
        for (int done = 0; done < dst.Length;)
        {
            int n;
            try { n = RandomAccess.Read(_file.SafeFileHandle, dst[done..], offset + done); }
            catch (IOException e) { throw new BadInputException(Path, $"{Path}: cannot be read: {e.Message}", inner: e); }
            if (n == 0)
                throw new BadInputException(Path, $"{Path}: ends at byte {offset + done}, before the {Length} bytes it had when opened");
            done += n;
        }
    }

    /// <summary>
    /// Tells the kernel this process is done with a byte range (madvise MADV_DONTNEED): the pages leave this process's
    /// resident set but stay in the page cache, so memory does not grow with the bytes streamed through the map.
    /// The start is rounded down to a 64 KB window: a fault maps the neighbours of the faulting page in its window
    /// ("fault-around"), so a sequential reader re-maps pages it released just before; releasing the window again
    /// drops them. Over-releasing costs nothing but a refault (the data stays in the page cache).
    /// </summary>
    public void Release(long offset, long length) => Advise(offset, length, 64 * 1024, Advice.DontNeed);

    /// <summary>
    /// Asks the kernel to start reading a byte range into the page cache (madvise MADV_WILLNEED), in large sequential
    /// reads: a transposing gather touches a cold source page by page across rows, which readahead does not follow.
    /// </summary>
    public void WillNeed(long offset, long length) => Advise(offset, length, Environment.SystemPageSize, Advice.WillNeed);

    /// <summary>madvise over [offset, offset+length), the start rounded down to <paramref name="align"/>.</summary>
    private void Advise(long offset, long length, long align, Advice advice)
    {
        if (_disposed) return; // advice only: a read-ahead thread may still be advising as the checkpoint closes
        if (!_pageAligned || length <= 0 || !OperatingSystem.IsLinux()) return;
        long start = Math.Max(0, offset) / align * align, end = Math.Min(Length, offset + length);
        if (end <= start) return;
        _ = Native.Advise((IntPtr)(_base + start), (UIntPtr)(ulong)(end - start), advice);
    }


    public Region Region(long offset, long length)
    {
        if (offset < 0 || length < 0 || offset + length > Length)
            throw new BadInputException(Path, $"{Path}: bytes {offset}..{offset + length} lie outside the file ({Length} bytes); the " +
                $"file " +
                $"is truncated or corrupt");
        return new Region(this, offset, length);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_parts) Native.Unmap((IntPtr)_base, Length);
        if (_view != null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
        }
        _map?.Dispose();
        _file?.Dispose();
    }
}

/// <summary>A byte range of a mapped file: the lazy bytes behind one tensor.</summary>
public readonly record struct Region(MappedFile File, long Offset, long Length)
{
    /// <summary>The bytes at [start, start+count) of this region.</summary>
    public ReadOnlySpan<byte> Span(long start, int count)
    {
        if (start < 0 || count < 0 || start + count > Length)
            throw new ArgumentOutOfRangeException(nameof(start), $"{start}+{count} outside a region of {Length} bytes");
        return File.Span(Offset + start, count);
    }

    public void Release(long start, long count) => File.Release(Offset + start, count);

    /// <summary>The bytes at [start, start + dst.Length) of this region, copied with a read (<see cref="MappedFile.Read"/>).</summary>
    public void Read(long start, Span<byte> dst)
    {
        if (start < 0 || start + dst.Length > Length)
            throw new ArgumentOutOfRangeException(nameof(start), $"{start}+{dst.Length} outside a region of {Length} bytes");
        File.Read(Offset + start, dst);
    }

    public void WillNeed(long start, long count) => File.WillNeed(Offset + start, count);

    public Region Slice(long start, long count)
    {
        if (start < 0 || count < 0 || start + count > Length)
            throw new ArgumentOutOfRangeException(nameof(start), $"{start}+{count} outside a region of {Length} bytes");
        return new Region(File, Offset + start, count);
    }
}

public static class RegionStreams
{
    /// <summary>A read-only stream over the region, for formats that must be decoded (deflate) rather than viewed.</summary>
    public static unsafe Stream OpenStream(this Region r)
    {
        if (r.Length == 0) return new MemoryStream(Array.Empty<byte>(), false);
        fixed (byte* p = r.File.Span(r.Offset, 1))
        {
            // The map outlives the stream (the reader owns both), so the pinned address stays valid.
            return new UnmanagedMemoryStream(p, r.Length);
        }
    }
}
