namespace PaliConvert.IO;

/// <summary>
/// Warnings for the user (the CLI prints them on stderr): each distinct message once per process, since one model may
/// be opened several times in one command.
/// </summary>
public static class Warnings
{
    private static readonly HashSet<string> Seen = [];

    public static event Action<string>? Raised;

    public static void Raise(string message)
    {
        lock (Seen)
            if (!Seen.Add(message)) return;
        Raised?.Invoke(message);
    }
}
