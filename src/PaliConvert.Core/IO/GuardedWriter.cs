using System.Text;

namespace PaliConvert.IO;

/// <summary>
/// Standard output or error that cannot take the process down: a closed pipe, a full disk or a closed descriptor makes
/// the writes stop (the first failure remembered), and the work goes on to its end, so outputs are still committed
/// or removed as they would be; the CLI then chooses the exit code.
/// </summary>
public sealed class GuardedWriter(TextWriter inner) : TextWriter
{
    public string? Failure { get; private set; }

    public override Encoding Encoding => inner.Encoding;

    public override void Write(char value) => Try(() => inner.Write(value));
    public override void Write(string? value) => Try(() => inner.Write(value));
    public override void Write(char[] buffer, int index, int count) => Try(() => inner.Write(buffer, index, count));
    public override void WriteLine(string? value) => Try(() => inner.WriteLine(value));
    public override void Flush() => Try(inner.Flush);

    private void Try(Action write)
    {
        if (Failure != null) return;
        try { write(); }
        catch (Exception e) when (e is IOException or ObjectDisposedException or NotSupportedException or UnauthorizedAccessException)
        {
            Failure = e.Message;
        }
    }
}
