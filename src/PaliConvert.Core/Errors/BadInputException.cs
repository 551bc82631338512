namespace PaliConvert.Errors;

/// <summary>
/// An input that cannot be used: <see cref="File"/> is the file, folder or option it comes from, <see cref="Item"/> the
/// tensor, member or key inside it where one is to blame.
/// </summary>
public class BadInputException(string file, string message, string? item = null, Exception? inner = null)
    : PaliConvertException(message, inner)
{
    public override ErrorKind Kind => ErrorKind.BadInput;
    public string File { get; } = file;
    public string? Item { get; } = item;
}

/// <summary>A command-line value out of its documented range or form: <see cref="BadInputException.File"/> names the option.</summary>
public sealed class UsageException(string option, string message) : BadInputException(option, message);
