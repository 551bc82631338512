using System.Collections.Concurrent;
using PaliConvert.Tensors;

namespace PaliConvert.Tests.Tensors;

/// <summary>The read-ahead window: the current view and those after it up to the window, each once, in order.</summary>
public class ReadAheadTests
{
    [Fact]
    public void RequestsTheCurrentViewAndTheWindowAfterItOnceEach()
    {
        using var dir = new TempDir();
        string path = dir.File("w.bin");
        File.WriteAllBytes(path, new byte[1000]);
        using var file = new MappedFile(path);
        // views of 100, 300, 100, 100, 200, 100 bytes (f32 rows), a window of 350 bytes
        int[] sizes = [100, 300, 100, 100, 200, 100];
        var views = new List<TensorView>();
        long at = 0;
        foreach (int bytes in sizes)
        {
            views.Add(TensorView.Of(new TensorInfo($"v{views.Count}", DType.F32, [bytes / 4], file.Region(at, bytes))));
            at += bytes;
        }
        var asked = new ConcurrentQueue<string>();
        var steps = new List<string>();
        using (var readAhead = new ReadAhead(views, 350, v => asked.Enqueue(v.Source.Name)))
        {
            for (int i = 0; i < views.Count; i++)
            {
                readAhead.From(i);
                SpinWait.SpinUntil(() => asked.Count >= Expected(i), 5000);
                steps.Add(string.Join(",", asked));
            }
        }
        // From(0): v0, then v1 (300) and v2 (400 >= 350); From(1): v2 ahead is 100, so v3 and v4 (400);
        // From(2): v3 + v4 = 300, so v5; afterwards nothing is left to ask
        Assert.Equal("v0,v1,v2", steps[0]);
        Assert.Equal("v0,v1,v2,v3,v4", steps[1]);
        Assert.Equal("v0,v1,v2,v3,v4,v5", steps[2]);
        Assert.Equal(steps[2], steps[^1]);
    }

    private static int Expected(int step) => step switch { 0 => 3, 1 => 5, _ => 6 };
}
