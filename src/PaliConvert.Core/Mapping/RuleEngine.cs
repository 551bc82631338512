using System.Globalization;
using PaliConvert.Models;
using PaliConvert.Tensors;

namespace PaliConvert.Mapping;

/// <summary>
/// Applies a rule file to a checkpoint: every target tensor becomes a view of a source tensor. Coverage is checked:
/// a source tensor no rule consumes, a target produced twice, or a required rule matching nothing is an error.
/// </summary>
public static class RuleEngine
{
    public static List<TensorView> Apply(RuleFile rules, Checkpoint ck, IReadOnlyDictionary<string, long> symbols) =>
        Fit(rules, ck, symbols).Checked();

    public static RuleFit<List<TensorView>> Fit(RuleFile rules, Checkpoint ck, IReadOnlyDictionary<string, long> symbols)
    {
        var targets = new List<TensorView>();
        var produced = new Dictionary<string, string>(StringComparer.Ordinal);
        var consumed = new HashSet<string>(StringComparer.Ordinal);
        var problems = new List<BadInputException>();
        var unmatched = new List<string>();
        foreach (var rule in rules.Rules)
        {
            foreach (var v in Match(rule, ck, symbols, consumed, unmatched, problems))
            {
                if (v.Name.Contains('{'))
                    throw rule.Error($"target '{v.Name}' still has a placeholder; an unstack or split is missing");
                if (!produced.TryAdd(v.Name, rule.From))
                    throw new RuleException(rules.Path, $"{rules.Path}: target '{v.Name}' is produced twice (by rules for " +
                        $"'{produced[v.Name]}' and '{rule.From}')", rule.From);
                targets.Add(v);
            }
        }
        var unused = ck.Tensors.Select(t => t.Name).Where(n => !consumed.Contains(n) && !rules.Skip.Contains(n)).ToList();
        if (unused.Count > 0)
            problems.Add(new BadInputException(ck.Path, $"{ck.Path}: {unused.Count} tensor(s) that no rule of '{rules.Name}' maps: " +
                $"{string.Join(", ", unused.Take(10))}", unused[0]));
        if (unmatched.Count > 0)
            problems.Add(new BadInputException(ck.Path, $"{ck.Path}: tensor(s) required by the rules of '{rules.Name}' are missing: " +
                $"{string.Join(", ", unmatched)}", unmatched[0]));
        return new RuleFit<List<TensorView>>(rules, targets, problems);
    }

    /// <summary>
    /// The views a rule yields: from its stacked tensor, or, for a rule that starts by unstacking, from the same
    /// tensor saved without nn.scan ('encoderblock_3/...', 'layers_3/...'), one tensor per layer.
    /// </summary>
    private static IEnumerable<TensorView> Match(Rule rule, Checkpoint ck, IReadOnlyDictionary<string, long> symbols,
        HashSet<string> consumed, List<string> unmatched, List<BadInputException> problems)
    {
        var expected = rule.ExpectedShape(symbols);
        if (ck.Find(rule.From) is { } stacked)
        {
            consumed.Add(stacked.Name);
            if (Contradicts(ck, stacked, expected, problems)) return [];
            return Run(rule, [TensorView.Of(stacked) with { Name = rule.To }], rule.Steps, symbols);
        }
        var layers = new List<TensorInfo>();
        bool unstacks = rule.Steps.Count > 0 && rule.Steps[0] is Unstack;
        while (unstacks && ck.Find(LayerNames.Unstacked(rule.From, layers.Count)) is { } layer) layers.Add(layer);
        if (layers.Count == 0)
        {
            if (!rule.Optional) unmatched.Add(rule.From);
            return [];
        }
        consumed.UnionWith(layers.Select(t => t.Name));
        if (layers.Any(t => Contradicts(ck, t, expected?[1..], problems))) return [];
        if (expected != null && expected[0] != layers.Count)
        {
            problems.Add(new BadInputException(ck.Path, $"{ck.Path}: '{rule.From}' is saved unstacked with {layers.Count} layers but " +
                $"the other tensors imply {expected[0]}", rule.From));
            return [];
        }
        var views = layers.Select((t, i) => TensorView.Of(t) with { Name = rule.To.Replace("{i}",
            i.ToString(CultureInfo.InvariantCulture)) }).ToList();
        return Run(rule, views, rule.Steps.Skip(1), symbols);
    }

    private static bool Contradicts(Checkpoint ck, TensorInfo t, long[]? expected, List<BadInputException> problems)
    {
        if (expected == null || Shape.Equal(expected, t.Shape)) return false;
        problems.Add(new BadInputException(ck.Path, $"{ck.Path}: tensor '{t.Name}' has shape {Shape.Format(t.Shape)} but the other " +
            $"tensors imply {Shape.Format(expected)}", t.Name));
        return true;
    }

    private static IEnumerable<TensorView> Run(Rule rule, List<TensorView> views, IEnumerable<RuleOp> ops,
        IReadOnlyDictionary<string, long> symbols)
    {
        foreach (var op in ops) views = op.Forward(views, symbols, rule);
        return views;
    }
}
