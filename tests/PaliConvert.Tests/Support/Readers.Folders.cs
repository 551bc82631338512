using PaliConvert.Pipeline;

namespace PaliConvert.Tests;

public static partial class Readers
{
    /// <summary>Where a damaged input of the target goes, inside a folder prepared for it.</summary>
    public static string Folder(string target, TempDir dir)
    {
        string folder = dir.File(target);
        if (target == "index")
            return Jax2Hf.Run(new Jax2HfOptions(TestPaths.Golden("pg1-tiny/params.f32.npz"), folder, TestPaths.Mappings,
                MaxShardBytes: 150_000));
        if (target == "onnx")
            return ExportOnnx.Run(new ExportOnnxOptions(TestPaths.Golden("pg1-tiny/params.f32.npz"), folder, TestPaths.Mappings));
        if (target == "adapter") // the oracle's adapter, whose config the damaged one replaces
            return AdapterFiles.Make(TestPaths.Golden("pg1-tiny/hf"), "rslora-patterns", folder);
        Directory.CreateDirectory(folder);
        return folder;
    }
}
