using System.Diagnostics;
using PaliConvert.Export;
using PaliConvert.Pipeline;

namespace PaliConvert.Tests.Formats;

/// <summary>Inputs that are not what they seem, through the real command line: each is exit 2 naming the file.</summary>
public class HostileFileTests
{
    [Fact]
    public void AFifoIsRefusedInsteadOfWaitedOn()
    {
        using var dir = new TempDir();
        string fifo = dir.File("model.npz");
        Process.Start("mkfifo", [fifo])!.WaitForExit();
        var (code, _, stderr) = CliRunner.Run("inspect", fifo);
        Assert.True(code == 2, stderr);
        Assert.Contains($"{fifo}: not a regular file", stderr);
    }

    [Fact]
    public void ADamagedOnnxModelIsExitTwoNamingItInLogits()
    {
        using var dir = new TempDir();
        string folder = ExportOnnx.Run(new ExportOnnxOptions(TestPaths.Golden("pg1-tiny/params.f32.npz"), dir.File("onnx"),
            TestPaths.Mappings));
        string model = Path.Combine(folder, OnnxLayout.ModelFile);
        File.Delete(model + ".data"); // the weights are gone
        var (code, _, stderr) = CliRunner.Run("logits", model, "--inputs", TestPaths.Golden("pg1-tiny/inputs.npz"), "--mask-key",
            "mask_ar_prefixlm", "--out", dir.File("l.npy"));
        Assert.True(code == 2, stderr);
        Assert.Contains($"{model}: ONNX Runtime cannot run it", stderr);
    }

    [Fact]
    public void NegativeTokenIdsAreRefusedForEveryEngine()
    {
        using var dir = new TempDir();
        string inputs = NpzCopy.Write(TestPaths.Golden("pg1-tiny/inputs.npz"), dir.File("in.npz"), t =>
        {
            var bytes = NpzCopy.Bytes(t);
            if (t.Name == "text") BitConverter.GetBytes(-1).CopyTo(bytes, 4);
            return [(t.Name, t.Shape, bytes)];
        });
        var (code, _, stderr) = CliRunner.Run("logits", TestPaths.Golden("pg1-tiny/params.f32.npz"), "--inputs", inputs, "--mask-key",
            "mask_ar_prefixlm", "--out", dir.File("l.npy"));
        Assert.True(code == 2, stderr);
        Assert.Contains($"{inputs}: 'text' holds token -1", stderr);
    }
}
