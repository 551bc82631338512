namespace PaliConvert.Validation;

/// <summary>
/// verify by what the models say: both generated from the same image and prompt, their token sequences side by side
/// (the first position where they part, or -1), and the target's logits at every step teacher-forced on the source's
/// tokens against the source's own. An exact target must say the same; a rounded one is judged by the step logits.
/// </summary>
public sealed record GenerationCheck(string Image, string Prompt, int[] PromptIds, int[] SourceIds, int[] TargetIds,
    string SourceText, string TargetText, ComparisonSummary Steps, bool MustMatch)
{
    public int FirstDivergence
    {
        get
        {
            int n = Math.Min(SourceIds.Length, TargetIds.Length);
            for (int i = 0; i < n; i++) if (SourceIds[i] != TargetIds[i]) return i;
            return SourceIds.Length == TargetIds.Length ? -1 : n;
        }
    }

    public bool Passed => Steps.Passed && (!MustMatch || FirstDivergence < 0);

    public string ToText()
    {
        string parted = FirstDivergence < 0 ? "the same tokens" : $"they part at new token {FirstDivergence}";
        string steps = $"max |diff| {Steps.MaxAbsDiff:G4}, top-1 {Steps.Top1Agreement:P0}, mean KL {Steps.MeanKl:G4} " +
            $"({(Steps.Passed ? "within" : "beyond")} {Steps.Tolerance})";
        return $"generation: '{Prompt}' on {Image}\n  source: {Quote(SourceText)}  [{string.Join(" ", SourceIds)}]\n" +
            $"  target: {Quote(TargetText)}  [{string.Join(" ", TargetIds)}]\n  {parted}; teacher-forced steps: {steps}\n";
    }

    private static string Quote(string s) => "\"" + s.Replace("\n", "\\n") + "\"";
}
