namespace PaliConvert.Mapping;

/// <summary>
/// A rule file applied to a checkpoint: the result, and what about the checkpoint does not fit the file (a tensor
/// no rule maps, one a rule needs but the checkpoint lacks, a shape the rule contradicts). A folder's files of one
/// family are told apart by which one fits, without exceptions.
/// </summary>
public sealed record RuleFit<T>(RuleFile File, T Result, IReadOnlyList<BadInputException> Problems)
{
    public bool Fits => Problems.Count == 0;

    /// <summary>The result, or the first problem thrown.</summary>
    public T Checked() => Fits ? Result : throw Problems[0];
}
