using System.Globalization;
using System.Text;
using PaliConvert.Models;

namespace PaliConvert.Adapters;

/// <summary>One kind of adapted module in one tower: the layers it touches, its rank, alpha and scale.</summary>
public sealed record AdaptedKind(string Tower, string Module, string Kind, int[] Layers, int Rank, double Alpha, double Scale,
    long Parameters);

/// <summary>
/// What an adapter changes, from its own files (no base needed): the method, the modules by tower and layer with their
/// ranks, alphas and scales, the tensors modules_to_save replaces, and the parameter count.
/// </summary>
public sealed record AdapterDescription(string Folder, string Method, string? BaseModel, string Spelling, long Parameters,
    IReadOnlyList<AdaptedKind> Targets, IReadOnlyList<string> Replaced)
{
    public static bool Applies(string path) => Directory.Exists(path) && File.Exists(Path.Combine(path, AdapterConfig.FileName));

    public static AdapterDescription Of(LoraAdapter a)
    {
        var rows = new List<(Tower tower, int? layer, string name, string kind, int rank, double alpha, long n)>();
        var replaced = new List<string>();
        foreach (var t in a.Weights.Tensors)
        {
            string key = LoraAdapter.Module(t.Name);
            int at = key.IndexOf(".lora_", StringComparison.Ordinal);
            if (at < 0) { replaced.Add(KeySpelling.ToHub(key)); continue; }
            string module = key[..at], hub = KeySpelling.ToHub(module);
            var (tower, layer) = AdapterBinding.Where(hub);
            bool factor = key.EndsWith(".lora_A.weight", StringComparison.Ordinal)
                || key.EndsWith(".lora_embedding_A", StringComparison.Ordinal);
            int rank = factor && t.Shape.Length == 2 ? (int)t.Shape[0] : 0;
            rows.Add((tower, layer, ShortName(hub), key.Contains("embedding") ? "embedding" : "linear", rank,
                LoraTargets.Alpha(a.Config, module), t.Elements));
        }
        var kinds = rows.GroupBy(r => (r.tower, r.name, r.kind)).Select(g =>
        {
            int rank = g.Select(r => r.rank).Where(r => r > 0).DefaultIfEmpty(0).Max();
            double alpha = g.First(r => r.rank == rank).alpha;
            return new AdaptedKind(g.Key.tower.ToString().ToLowerInvariant(), g.Key.name, g.Key.kind,
                g.Where(r => r.layer != null).Select(r => r.layer!.Value).Distinct().Order().ToArray(), rank, alpha,
                rank > 0 ? LoraTargets.Scale(a.Config, rank, alpha) : 0, g.Sum(r => r.n));
        }).OrderBy(k => k.Tower, StringComparer.Ordinal).ThenBy(k => k.Module, StringComparer.Ordinal).ToList();
        return new AdapterDescription(a.Folder, a.Config.Method, a.Config.BaseModel, a.Spelling, a.Weights.Tensors.Sum(t => t.Elements),
            kinds, replaced.Order(StringComparer.Ordinal).ToList());
    }

    /// <summary>A module's name inside its layer (self_attn.q_proj), or past its tower for the others.</summary>
    private static string ShortName(string hub)
    {
        var m = System.Text.RegularExpressions.Regex.Match(hub, @"\.layers\.\d+\.(.+)$");
        return m.Success ? m.Groups[1].Value : hub;
    }

    public string ToText()
    {
        var sb = new StringBuilder();
        var ci = CultureInfo.InvariantCulture;
        sb.AppendLine(ci, $"adapter: {Folder}");
        sb.AppendLine(ci, $"method: {Method}{(BaseModel != null ? $", trained on {BaseModel}" : "")} (keys spelt {Spelling})");
        sb.AppendLine(ci, $"parameters: {Parameters:N0}");
        sb.AppendLine("targets (tower, module, layers, rank, alpha, scale):");
        foreach (var k in Targets)
            sb.AppendLine(ci, $"  {k.Tower,-9} {k.Module,-22} {Layers(k.Layers),-14} r {k.Rank,-4} alpha {k.Alpha:G6}  scale {k.Scale:G6}" +
                $"{(k.Kind == "embedding" ? "  (embedding)" : "")}");
        if (Replaced.Count > 0) sb.AppendLine(ci, $"replaced (modules_to_save): {string.Join(", ", Replaced)}");
        return sb.ToString();
    }

    private static string Layers(int[] layers) =>
        layers.Length == 0 ? "-" : layers.Length > 1 && layers[^1] - layers[0] == layers.Length - 1
            ? $"{layers[0]}-{layers[^1]}" : string.Join(",", layers);
}
