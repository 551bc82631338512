using System.CommandLine;

namespace PaliConvert.Cli;

/// <summary>Exit codes a pipeline can rely on, and the one place that turns exceptions into them.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>The command ran and found a difference (diff) or a mismatch (verify).</summary>
    public const int Different = 1;
    /// <summary>Unusable input: bad arguments, a missing or malformed file, an output that would be overwritten.</summary>
    public const int BadInput = 2;
    /// <summary>A bug in PaliConvert.</summary>
    public const int Internal = 3;
    /// <summary>Stopped by Ctrl-C (SIGINT); SIGTERM ends the process with 143 as the shell reports it.</summary>
    public const int Interrupted = 130;
}

public static class Run
{
    /// <summary>This process's run: one command, its warnings and its open outputs (which a signal removes).</summary>
    public static PaliConvert.IO.RunScope Scope { get; } = new();

    public static int Execute(RootCommand root, string[] args)
    {
        var (stdout, stderr) = (new PaliConvert.IO.GuardedWriter(Console.Out), new PaliConvert.IO.GuardedWriter(Console.Error));
        Console.SetOut(stdout);
        Console.SetError(stderr);
        int code = Parsed(root, args);
        stdout.Flush();
        if (stdout.Failure == null || code != ExitCodes.Ok) return code;
        Console.Error.WriteLine($"error: standard output could not be written ({stdout.Failure}); the command's work is done, " +
            "its printed result is lost");
        return ExitCodes.BadInput;
    }

    private static int Parsed(RootCommand root, string[] args)
    {
        Console.CancelKeyPress += (_, _) => Interrupted();
        using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM,
            _ => Interrupted());
        Scope.Warned += w => Console.Error.WriteLine(
            $"warning: {w.Message}{(w.Kind == PaliConvert.IO.WarningKind.AssumedFacts ? "; " + FactOptions.Hint : "")}");
        if (args.Length == 0) // the command list, and the exit code of a usage error: a pipeline calling it bare has a bug
        {
            root.Parse(["--help"]).Invoke();
            return ExitCodes.BadInput;
        }
        // no response files: '@name' is an argument like any other, and no file's text is read as arguments
        var parsed = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        var errors = ParseErrors.Of(parsed).Concat(NonFinite(parsed)).ToList();
        if (errors.Count > 0)
        {
            foreach (var e in errors) Console.Error.WriteLine($"error: {e}");
            var command = parsed.CommandResult.Command;
            Console.Error.WriteLine(command == root ? "Run 'paliconvert --help' for the commands."
                : $"usage: {ParseErrors.Usage(command)}\nRun 'paliconvert {command.Name} --help' for its options.");
            return ExitCodes.BadInput;
        }
        return parsed.Invoke();
    }

    /// <summary>The number policy where numbers enter: every number option takes a finite value (no NaN, no infinity).</summary>
    private static IEnumerable<string> NonFinite(ParseResult parsed) =>
        parsed.CommandResult.Children.OfType<System.CommandLine.Parsing.OptionResult>()
            .Where(o => o.Option.ValueType == typeof(double) || o.Option.ValueType == typeof(double?))
            .SelectMany(o => o.Tokens.Where(t => double.TryParse(t.Value, System.Globalization.NumberStyles.Float,
                    System.Globalization.CultureInfo.InvariantCulture, out var d) && !double.IsFinite(d))
                .Select(t => $"{o.Option.Name} takes a finite number, not '{t.Value}'"));

    private static void Interrupted()
    {
        Progress.Clear();
        Scope.Abandon(); // nothing half-written is left behind
        Console.Error.WriteLine("interrupted");
    }

    /// <summary>The one place that chooses an exit code for a failure.</summary>
    public static int For(ErrorKind kind) => kind switch
    {
        ErrorKind.Interrupted => ExitCodes.Interrupted,
        _ => ExitCodes.BadInput, // bad input, a rule that does not fit, models that do not correspond, an output refused
    };

    /// <summary>
    /// Runs a command body, mapping failures to messages on stderr and exit codes: PaliConvert's own kinds by
    /// <see cref="For"/>, anything else as a bug.
    /// </summary>
    public static int Guarded(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (PaliConvertException e)
        {
            return Report(e);
        }
        catch (Exception e)
        {
            // a parallel loop wraps what its workers threw: one of PaliConvert's own kinds inside is still that kind
            if (e is AggregateException a && a.Flatten().InnerExceptions.OfType<PaliConvertException>().FirstOrDefault() is { } own)
                return Report(own);
            Progress.Clear();
            Console.Error.WriteLine($"internal error (please report): {e}");
            return ExitCodes.Internal;
        }
    }

    private static int Report(PaliConvertException e)
    {
        Progress.Clear();
        string hint = e is not OutputExistsException ? ""
            : e.Message.Contains("backwards", StringComparison.Ordinal) ? "; --force would replace it" : "; use --force to replace it";
        Console.Error.WriteLine($"error: {e.Message}{hint}");
        return For(e.Kind);
    }
}

/// <summary>A one-line progress display on stderr, shown only when stderr is a terminal.</summary>
public sealed class Progress : IProgress<(string what, double fraction)>
{
    private static bool _dirty;
    private DateTime _last = DateTime.MinValue;

    public static bool Enabled => !Console.IsErrorRedirected;

    public void Report((string what, double fraction) p)
    {
        if (!Enabled || (DateTime.UtcNow - _last).TotalMilliseconds < 200) return;
        _last = DateTime.UtcNow;
        int width = 30, filled = (int)(p.fraction * width);
        var line = $"\r[{new string('#', filled)}{new string('.', width - filled)}] {p.fraction,4:P0} {p.what}";
        Console.Error.Write(line.Length > 110 ? line[..110] : line.PadRight(110));
        _dirty = true;
    }

    public static void Clear()
    {
        if (!_dirty) return;
        Console.Error.Write("\r" + new string(' ', 110) + "\r");
        _dirty = false;
    }
}
