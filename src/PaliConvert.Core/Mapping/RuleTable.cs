using System.Text;
using PaliConvert.Models;

namespace PaliConvert.Mapping;

/// <summary>One rule on the screen: a big_vision tensor, the Hugging Face tensors it becomes, and through what.</summary>
public sealed record RuleRow(string Family, string BigVision, string? Shape, string[] HuggingFace, string[] Operations, string? When,
    bool Optional);

/// <summary>The mapping rules as a table: every big_vision tensor beside the HF tensors it becomes and the operations.</summary>
public sealed record RuleTable(string Folder, IReadOnlyList<RuleRow> Rows, IReadOnlyList<string> Tied, IReadOnlyList<string> Skipped)
{
    public static RuleTable Of(RuleSet set, GemmaFamily? family = null)
    {
        var files = set.Files.Where(f => f.Family != null && (family == null || f.Family == family)).ToList();
        var rows = files.SelectMany(f => f.Rules.Select(r => new RuleRow(f.Family!.Value.Label(), r.From,
            r.Shape == null ? null : $"[{string.Join(", ", r.Shape)}]", Targets(r), r.Steps.Select(s => s.Label).ToArray(),
            r.When?.ToString(), r.Optional))).ToList();
        var tied = files.SelectMany(f => f.Ties.Select(t => $"{t.Key} = {t.Value}")).Distinct().ToList();
        var skipped = files.SelectMany(f => f.Skip).Distinct().Order(StringComparer.Ordinal).ToList();
        return new RuleTable(set.Folder, rows, tied, skipped);
    }

    /// <summary>The target template with each split's parts spelt out ({i} stays: one per layer).</summary>
    private static string[] Targets(Rule r)
    {
        var names = new List<string> { r.To };
        foreach (var split in r.Steps.OfType<Split>())
            names = names.SelectMany(n => split.Parts.Select(p => n.Replace("{part}", p))).ToList();
        return names.ToArray();
    }

    public string ToText()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"rules: {Folder}");
        foreach (var g in Rows.GroupBy(r => r.Family))
        {
            sb.AppendLine($"\n{g.Key} (big_vision -> Hugging Face; {{i}} is the layer):");
            foreach (var r in g)
            {
                string when = r.When != null ? $"  (when {r.When})" : "";
                sb.AppendLine($"  {r.BigVision} {r.Shape}{when}{(r.Optional ? "  (optional)" : "")}");
                foreach (var t in r.HuggingFace) sb.AppendLine($"    -> {t}");
                if (r.Operations.Length > 0) sb.AppendLine($"       via {string.Join(", ", r.Operations)}");
            }
        }
        if (Tied.Count > 0) sb.AppendLine($"\ntied (not stored): {string.Join("; ", Tied)}");
        if (Skipped.Count > 0) sb.AppendLine($"skipped: {string.Join(", ", Skipped)}");
        return sb.ToString();
    }
}
