using PaliConvert.Tensors;

namespace PaliConvert.Tests.Tensors;

/// <summary>Inputs are opened in one place, which takes regular files only (symlinks followed) and says what else it got.</summary>
public class RegularFileTests
{
    [Theory]
    [InlineData("/dev/zero")]
    [InlineData("/dev/null")]
    public void ADeviceIsRefusedNamingIt(string device)
    {
        var e = Assert.Throws<BadInputException>(() => RegularFile.Require(device));
        Assert.Equal(device, e.File);
        Assert.Contains("not a regular file", e.Message);
    }

    [Fact]
    public async Task AFifoIsRefusedWithoutBlockingAndAFolderIsNamedAsOne()
    {
        using var dir = new TempDir();
        string fifo = dir.File("tokenizer.model");
        var mk = System.Diagnostics.Process.Start("mkfifo", fifo)!;
        mk.WaitForExit();
        Assert.Equal(0, mk.ExitCode);
        var run = Task.Run(() => Assert.Throws<BadInputException>(() => RegularFile.Require(fifo)));
        Assert.True(await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(10))) == run, "opening a FIFO blocked");
        Assert.Contains("not a regular file", (await run).Message);
        Assert.Contains("is a folder", Assert.Throws<BadInputException>(() => RegularFile.Require(dir.Path)).Message);
    }

    [Fact]
    public void ASymlinkToAFileIsReadAndIdentityComesFromWhatWasOpened()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("blob"), "x");
        File.CreateSymbolicLink(dir.File("config.json"), dir.File("blob"));
        RegularFile.Require(dir.File("config.json")); // the Hugging Face cache keeps snapshots as links into blobs/
        var a = Native.Identify(dir.File("config.json"))!.Value;
        var b = Native.Identify(dir.File("blob"))!.Value;
        Assert.True(a.IsRegular);
        Assert.True(a.SameFile(b));
        Assert.Equal(1UL, a.Size);
        Assert.True(Native.Identify(dir.Path)!.Value.IsFolder);
    }
}
