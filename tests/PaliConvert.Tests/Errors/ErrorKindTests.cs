using PaliConvert.Cli;

namespace PaliConvert.Tests.Errors;

/// <summary>Exit codes come from PaliConvert's own error kinds alone: anything else that escapes a command is a bug (3).</summary>
public class ErrorKindTests
{
    public static TheoryData<Exception, int> Cases => new()
    {
        { new BadInputException("a.npz", "a.npz: truncated", "llm/final_norm/scale"), ExitCodes.BadInput },
        { new UsageException("--atol", "--atol cannot be negative"), ExitCodes.BadInput },
        { new RuleException("gemma.yaml", "gemma.yaml: rule 'x': unknown operation", "x", "frobnicate"), ExitCodes.BadInput },
        { new ModelMismatchException("a", "b", "architecture", "the models differ"), ExitCodes.BadInput },
        { new OutputExistsException("out", "out already exists"), ExitCodes.BadInput },
        { new InterruptedRunException("SIGINT"), ExitCodes.Interrupted },
        // a worker of a parallel loop that met bad input (a file cut short while a pass read it) is still bad input
        { new AggregateException(new OperationCanceledException(), new BadInputException("a.npz", "a.npz: ends at byte 7")),
            ExitCodes.BadInput },
        { new AggregateException(new AggregateException(new InterruptedRunException("SIGTERM"))), ExitCodes.Interrupted },
        { new AggregateException(new InvalidOperationException("a bug in a worker")), ExitCodes.Internal },
        // what a programming error surfaces as is never reported as the user's input
        { new ArgumentOutOfRangeException("token"), ExitCodes.Internal },
        { new KeyNotFoundException("no tensor"), ExitCodes.Internal },
        { new InvalidDataException("a BCL reader's own refusal"), ExitCodes.Internal },
        { new IOException("an I/O failure no input or output claimed"), ExitCodes.Internal },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void EachKindHasItsExitCode(Exception e, int code)
    {
        var stderr = Console.Error;
        Console.SetError(TextWriter.Null);
        try { Assert.Equal(code, Run.Guarded(() => throw e)); }
        finally { Console.SetError(stderr); }
    }

    [Fact]
    public void NoCatchInTheCliMapsABclExceptionToAnExitCode()
    {
        var cli = Path.Combine(TestPaths.Root, "src", "PaliConvert.Cli");
        var catches = Directory.EnumerateFiles(cli, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
            .SelectMany(f => File.ReadAllLines(f).Select(l => l.Trim()).Where(l => l.StartsWith("catch (")))
            .ToList();
        Assert.All(catches, c => Assert.Matches(@"^catch \((PaliConvertException|Exception) e\)$", c));
    }
}
