namespace Ipw.Core;

/// <summary>Ctrl-C as every front end handles it: the first press stops gracefully, the second cancels what is in flight.</summary>
public static class Interrupts
{
    /// <param name="message">Printed to stderr at the first press (null: nothing).</param>
    public static ConsoleCancelEventHandler Handler(CancellationTokenSource stop, CancellationTokenSource abort, string? message = null)
    {
        var interrupts = 0;
        return (_, e) =>
        {
            e.Cancel = true;
            if (Interlocked.Increment(ref interrupts) == 1)
            {
                if (message is not null) Console.Error.WriteLine($"ipw: {message}");
                stop.Cancel();
            }
            else abort.Cancel();
        };
    }

    /// <summary>Ctrl-C cancels <paramref name="stop"/> for as long as the returned object is not disposed (a tool with no
    /// in-flight work to abort, such as the energy self-test).</summary>
    public static IDisposable CancelOnCtrlC(CancellationTokenSource stop)
    {
        var handler = Handler(stop, stop);
        Console.CancelKeyPress += handler;
        return new Installed(handler);
    }

    private sealed class Installed(ConsoleCancelEventHandler handler) : IDisposable
    {
        public void Dispose() => Console.CancelKeyPress -= handler;
    }
}
