namespace PaliConvert.Errors;

/// <summary>A mapping rule that is malformed or does not fit: the rule file, the rule (its source tensor) and the operation.</summary>
public sealed class RuleException(string file, string message, string? rule = null, string? operation = null)
    : PaliConvertException(message)
{
    public override ErrorKind Kind => ErrorKind.Rule;
    public string File { get; } = file;
    public string? Rule { get; } = rule;
    public string? Operation { get; } = operation;
}
