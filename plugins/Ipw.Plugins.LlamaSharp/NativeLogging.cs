using LLama.Native;

namespace Ipw.Plugins.LlamaSharp;

/// <summary>Routes llama.cpp's log to stderr, errors only (set IPW_LLAMA_LOG=1 for everything).
/// The callback is held in a static field so it is never collected while native code holds it.</summary>
internal static class NativeLogging
{
    private static NativeLogConfig.LLamaLogCallback? _callback;
    private static readonly Lock Sync = new();

    public static void Install()
    {
        lock (Sync)
        {
            if (_callback is not null || NativeLibraryConfig.LLama.LibraryHasLoaded) return;
            var verbose = Environment.GetEnvironmentVariable("IPW_LLAMA_LOG") == "1";
            _callback = (level, message) =>
            {
                if (verbose || level == LLamaLogLevel.Error) Console.Error.Write(message);
            };
            NativeLibraryConfig.All.WithLogCallback(_callback);
        }
    }
}
