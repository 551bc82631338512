namespace PaliConvert.Errors;

/// <summary>What went wrong, in the few kinds a caller acts on; the CLI maps each to its exit code in one place.</summary>
public enum ErrorKind
{
    /// <summary>A file, folder, value or option the user gave cannot be used as it is.</summary>
    BadInput,
    /// <summary>A mapping rule file is malformed, or a rule does not fit the checkpoint it is applied to.</summary>
    Rule,
    /// <summary>Two models (or a model and its description) that should correspond do not.</summary>
    ModelMismatch,
    /// <summary>An output exists and was not to be replaced, or may not be written where it was asked.</summary>
    Output,
    /// <summary>The run was stopped by a signal (Ctrl-C, SIGTERM).</summary>
    Interrupted,
}

/// <summary>
/// The base of every failure PaliConvert reports as the user's to fix. Anything else that escapes a command is a bug.
/// The message is the user-facing text; the fields say what it names, for callers and tests.
/// </summary>
public abstract class PaliConvertException(string message, Exception? inner = null) : Exception(message, inner)
{
    public abstract ErrorKind Kind { get; }
}
