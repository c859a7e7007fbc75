namespace Ipw.Core;

/// <summary>Ctrl-C as every front end handles it: the first press stops gracefully, the second cancels what is in flight.
/// SIGTERM (docker stop, systemd, <c>timeout</c>) stops as a second press does at once: the queries in flight are cancelled
/// and recorded, the summary finalised, and the process exits 143 (128 + 15) as a terminated one should.</summary>
public static class Interrupts
{
    /// <summary>The exit code of a run stopped by SIGTERM.</summary>
    public const int TerminatedExitCode = 143;

    /// <summary>Handles Ctrl-C (<see cref="Handler"/>) and SIGTERM until disposed.</summary>
    /// <param name="message">Printed to stderr at the first Ctrl-C (null: nothing).</param>
    public static Scope Install(CancellationTokenSource stop, CancellationTokenSource abort, string? message = null) =>
        new(stop, abort, message, "terminated (SIGTERM): cancelling the queries in flight and saving the run");

    /// <summary>Ctrl-C and SIGTERM handled for as long as it is not disposed; says whether SIGTERM came.</summary>
    public sealed class Scope : IDisposable
    {
        private readonly ConsoleCancelEventHandler _ctrlC;
        private readonly System.Runtime.InteropServices.PosixSignalRegistration? _term;
        private volatile bool _terminated;

        internal Scope(CancellationTokenSource stop, CancellationTokenSource abort, string? message, string? terminatedMessage)
        {
            _ctrlC = Handler(stop, abort, message);
            Console.CancelKeyPress += _ctrlC;
            if (OperatingSystem.IsWindows()) return;
            _term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c =>
            {
                c.Cancel = true; // not killed on the spot: the run is saved first
                if (_terminated) return;
                _terminated = true;
                if (terminatedMessage is not null) Console.Error.WriteLine($"ipw: {terminatedMessage}");
                stop.Cancel();
                abort.Cancel();
            });
        }

        /// <summary>Whether SIGTERM stopped the work: exit with <see cref="TerminatedExitCode"/>.</summary>
        public bool Terminated => _terminated;

        /// <summary><paramref name="code"/>, or 143 when SIGTERM stopped the work.</summary>
        public int ExitCode(int code) => _terminated ? TerminatedExitCode : code;

        public void Dispose()
        {
            Console.CancelKeyPress -= _ctrlC;
            _term?.Dispose();
        }
    }

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

    /// <summary>Ctrl-C or SIGTERM cancels <paramref name="stop"/> for as long as the returned scope is not disposed (a tool
    /// with no in-flight work to abort, such as the energy self-test or <c>ipw energy serve</c>).</summary>
    public static Scope CancelOnInterrupt(CancellationTokenSource stop) => new(stop, stop, null, null);
}
