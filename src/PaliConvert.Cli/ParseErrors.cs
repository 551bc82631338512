using System.CommandLine;

namespace PaliConvert.Cli;

/// <summary>
/// Parse errors that say what to do: a mistyped option is named with the nearest real one (rather than taken as an
/// argument), a missing argument by its name and what it is.
/// </summary>
public static class ParseErrors
{
    public static IEnumerable<string> Of(ParseResult parsed)
    {
        if (parsed.Errors.Count == 0) yield break; // --help, or a good command line
        var command = parsed.CommandResult.Command;
        var options = command.Options.Concat(parsed.RootCommandResult.Command.Options).SelectMany(o => o.Aliases.Append(o.Name))
            .Distinct().ToList();
        var unknown = parsed.Tokens.Where(t => t.Value.StartsWith('-') && t.Value.Length > 1 && !options.Contains(t.Value.Split('=')[0])
            && !double.TryParse(t.Value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _))
            .Select(t => t.Value).ToList();
        foreach (var u in unknown)
        {
            string name = u.Split('=')[0];
            var near = options.Where(o => o.StartsWith("--", StringComparison.Ordinal)).MinBy(o => Distance(o, name));
            yield return near != null && Distance(near, name) <= 3 ? $"unknown option '{name}' for {command.Name}; did you mean '{near}'?"
                : $"unknown option '{name}' for {command.Name}";
        }
        var given = parsed.CommandResult.Children.OfType<System.CommandLine.Parsing.ArgumentResult>().Where(a => a.Tokens.Count > 0)
            .Select(a => a.Argument).ToHashSet();
        var missing = command.Arguments.Where(a => !given.Contains(a)).ToList();
        foreach (var a in missing) yield return $"missing <{a.Name}>: {a.Description}";
        if (unknown.Count > 0 || missing.Count > 0) yield break; // the parser's own messages would restate these, less clearly
        foreach (var e in parsed.Errors) yield return e.Message;
    }

    public static string Usage(Command c) =>
        $"paliconvert {c.Name} {string.Join(" ", c.Arguments.Select(a => $"<{a.Name}>"))} [options]";

    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
            for (int j = 1; j <= b.Length; j++)
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
        return d[a.Length, b.Length];
    }
}
