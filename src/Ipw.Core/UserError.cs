namespace Ipw.Core;

/// <summary>A mistake in what the user asked for: shown as one line, exit code 2, no stack trace.</summary>
public sealed class UserError(string message) : Exception(message);
