namespace PaliConvert.Errors;

/// <summary>An output that may not be written: it overlaps an input, its place is taken by something else, or writing failed.</summary>
public class OutputException(string output, string message, Exception? inner = null) : PaliConvertException(message, inner)
{
    public override ErrorKind Kind => ErrorKind.Output;
    public string Output { get; } = output;
}

/// <summary>The output already exists and the caller did not ask to replace it.</summary>
public sealed class OutputExistsException(string output, string message) : OutputException(output, message);

/// <summary>The run was stopped by a signal; the partial outputs have been removed.</summary>
public sealed class InterruptedRunException(string signal) : PaliConvertException($"interrupted ({signal})")
{
    public override ErrorKind Kind => ErrorKind.Interrupted;
    public string Signal { get; } = signal;
}
