namespace PaliConvert.Errors;

/// <summary>Two descriptions of a model that must agree do not: <see cref="What"/> names the key, tensor or part.</summary>
public sealed class ModelMismatchException(string first, string second, string what, string message) : PaliConvertException(message)
{
    public override ErrorKind Kind => ErrorKind.ModelMismatch;
    public string First { get; } = first;
    public string Second { get; } = second;
    public string What { get; } = what;
}
