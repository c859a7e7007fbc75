using Ipw.Abstractions;

namespace Ipw.Core.Runs;

/// <summary>The run store's side of <see cref="IArtifactSink"/>: what an analysis or visualization hands over is written
/// into one folder of the run (analysis/, plots/), atomically; the folder is made on the first write.</summary>
public sealed class ArtifactFolder(string directory) : IArtifactSink
{
    public string Directory { get; } = directory;

    public string Write(string fileName, ReadOnlySpan<byte> content)
    {
        if (string.IsNullOrWhiteSpace(fileName) || fileName != Path.GetFileName(fileName) || fileName.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
            throw new ArgumentException($"'{fileName}' is not a plain file name", nameof(fileName));
        System.IO.Directory.CreateDirectory(Directory);
        var path = Path.Combine(Directory, fileName);
        AtomicFile.WriteAllBytes(path, content);
        return path;
    }
}
