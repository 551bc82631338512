using System.Text.RegularExpressions;
using PaliConvert.Tensors;

namespace PaliConvert.IO;

/// <summary>
/// Where an output may go. It may not be, contain or lie inside an input by any spelling (a symlinked folder, a bind
/// mount, /proc/self/cwd): files are compared by identity (device and inode) and containment by the kernel's own walk
/// of the real parents. What is there already is replaced only when it is a regular file, or a folder holding nothing
/// but what paliconvert writes: never a link, a device, a pipe, or a folder of other things.
/// </summary>
public static partial class OutputPlace
{
    public static void Check(string target, IEnumerable<string> inputs)
    {
        foreach (var input in inputs.SelectMany(i => SplitParts.Of(i) ?? [i]))
            RefuseOverlap(target, Path.GetFullPath(input.TrimEnd('/', '\\')));
        if (!OperatingSystem.IsLinux()) return;
        var here = Native.Identify(target, followLinks: false);
        if (here == null) return;
        if (here.Value.IsSymlink)
            throw new OutputException(target, $"{target} is a symbolic link; paliconvert replaces only what it could have written: " +
                "remove the link or choose another output");
        if (!here.Value.IsRegular && !here.Value.IsFolder)
            throw new OutputException(target, $"{target} is not a regular file (a device, pipe or socket); choose another output");
    }

    /// <summary>A folder <c>--force</c> may replace: one holding only files paliconvert writes.</summary>
    public static void RefuseForeignFolder(string target)
    {
        foreach (var entry in Directory.EnumerateFileSystemEntries(target, "*", SearchOption.AllDirectories))
        {
            string rel = Path.GetRelativePath(target, entry).Replace('\\', '/');
            bool link = OperatingSystem.IsLinux() && Native.Identify(entry, followLinks: false) is { IsSymlink: true };
            if (link || !Ours().IsMatch(rel))
                throw new OutputException(target, $"{target} holds '{rel}', which paliconvert does not write; only a folder of " +
                    "paliconvert's outputs is replaced: move what is yours out of it, or choose another output");
        }
    }

    [GeneratedRegex(@"^(config\.json|generation_config\.json|model(-\d+-of-\d+)?\.safetensors|model\.safetensors\.index\.json|" +
        @"tokenizer\.model|tokenizer\.json|tokenizer_config\.json|special_tokens_map\.json|preprocessor_config\.json|" +
        @"model\.onnx|model\.onnx\.data|onnx|onnx/[A-Za-z0-9_]+\.onnx(_data)?)$")]
    private static partial Regex Ours();

    private static void RefuseOverlap(string target, string input)
    {
        string? how = HowByName(target, input) ?? (OperatingSystem.IsLinux() ? HowByIdentity(target, input) : null);
        if (how != null) throw new OutputException(target, $"the output {target} {how} the input {input}; choose another output");
    }

    private static string? HowByName(string target, string input)
    {
        static bool Inside(string path, string folder) => path.StartsWith(folder + Path.DirectorySeparatorChar, StringComparison.Ordinal);
        return target == input ? "is" : Inside(input, target) ? "contains" : Inside(target, input) ? "lies inside" : null;
    }

    private static string? HowByIdentity(string target, string input)
    {
        if (Native.Identify(input) is not { } inId) return null;
        var targetId = Native.Identify(target);
        if (targetId is { } t && t.SameFile(inId)) return "is";
        if (inId.IsFolder && RealParents(target).Any(p => p.SameFile(inId))) return "lies inside";
        if (targetId is { IsFolder: true } tf && RealParents(input).Any(p => p.SameFile(tf))) return "contains";
        if (!inId.IsFolder || targetId == null) return null;
        // a folder's files may be links elsewhere (the Hugging Face cache's snapshots point into blobs/)
        foreach (var entry in Directory.EnumerateFileSystemEntries(input))
            if (Native.Identify(entry) is { } e && e.SameFile(targetId.Value)) return $"is {entry} of";
        return null;
    }

    /// <summary>
    /// The folders a path lies in, by identity: its nearest existing parent and each real parent above it, as the kernel
    /// walks them ("P/..", which follows P's links first), up to the root.
    /// </summary>
    private static List<FileIdentity> RealParents(string path)
    {
        var found = new List<FileIdentity>();
        string? p = Path.GetDirectoryName(path);
        while (p != null && Native.Identify(p) == null) p = Path.GetDirectoryName(p);
        if (p == null) return found;
        for (int depth = 0; depth < 1024 && Native.Identify(p) is { } id; depth++, p += "/..")
        {
            if (found.Count > 0 && found[^1].SameFile(id)) break; // the root is its own parent
            found.Add(id);
        }
        return found;
    }
}
