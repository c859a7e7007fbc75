using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Ipw.Plugins.TorchSharp.Tests;

/// <summary>
/// Exercises <see cref="ElfVersionNeeds"/> on real shared libraries built with <c>cc</c> into a fresh folder per test.
/// </summary>
public sealed class ElfVersionNeedsTests : IDisposable
{
    // libdep.so v1: DEP_1 { dep_one } and DEP_2 { dep_two, dep_marker }.
    private const string DepSource = """
        int dep_one(void) { return 1; }
        int dep_two(void) { return 2; }
        int dep_marker = 3;
        """;

    private const string DepScript = """
        DEP_1 { global: dep_one; local: *; };
        DEP_2 { global: dep_two; dep_marker; } DEP_1;
        """;

    // libdep.so v2: DEP_2 is gone.
    private const string DepSourceWithoutDep2 = "int dep_one(void) { return 42; }\n";

    private const string DepScriptWithoutDep2 = "DEP_1 { global: dep_one; local: *; };\n";

    // A bare `.globl` of an undefined symbol puts dep_marker into the object's symbol table (UND, GLOBAL) without any
    // relocation, so the linker binds it to dep_marker@DEP_2 and emits an UND dynamic symbol of that version and nothing
    // else: the same construction GCC 13's <iostream> uses for _ZSt21ios_base_library_initv.
    private const string UserRefSource = """
        int dep_one(void);
        __asm__(".globl dep_marker");
        int user_value(void) { return dep_one(); }
        """;

    private const string UserCallSource = """
        int dep_one(void);
        int dep_two(void);
        int user_value(void) { return dep_one() + dep_two(); }
        """;

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("ipw-elf-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public unsafe void WeakCopyOfUnrelocatedNeedLoadsAfterTheVersionDisappears()
    {
        BuildDep(DepSource, DepScript);
        var user = BuildUser("libuser_ref.so", UserRefSource);

        var needs = ElfVersionNeeds.Read(user);
        var dep2 = Assert.Single(needs, n => n.Version == "DEP_2");
        Assert.Equal("libdep.so", dep2.File);
        Assert.False(dep2.Weak);
        Assert.Equal(0, dep2.RelocatedSymbols);
        Assert.Equal(new[] { "dep_marker" }, dep2.Symbols);
        var dep1 = Assert.Single(needs, n => n.Version == "DEP_1");
        Assert.Equal("libdep.so", dep1.File);
        Assert.True(dep1.RelocatedSymbols > 0);
        Assert.Contains("dep_one", dep1.Symbols);

        BuildDep(DepSourceWithoutDep2, DepScriptWithoutDep2);
        Assert.False(NativeLibrary.TryLoad(user, out _));
        var error = Assert.Throws<DllNotFoundException>(() => NativeLibrary.Load(user));
        Assert.Contains("DEP_2", error.Message, StringComparison.Ordinal);

        var patched = Path.Combine(_dir.FullName, "libuser_ref.patched.so");
        Assert.Equal(new[] { "DEP_2" }, ElfVersionNeeds.WriteWeakCopy(user, patched, ["DEP_2"]));
        Assert.False(File.Exists(patched + ".tmp"));
        var patchedNeeds = ElfVersionNeeds.Read(patched);
        Assert.True(Assert.Single(patchedNeeds, n => n.Version == "DEP_2").Weak);
        Assert.False(Assert.Single(patchedNeeds, n => n.Version == "DEP_1").Weak);
        Assert.False(Assert.Single(ElfVersionNeeds.Read(user), n => n.Version == "DEP_2").Weak);

        var handle = NativeLibrary.Load(patched);
        try
        {
            var userValue = (delegate* unmanaged<int>)NativeLibrary.GetExport(handle, "user_value");
            Assert.Equal(42, userValue());
        }
        finally
        {
            NativeLibrary.Free(handle);
        }
    }

    [Fact]
    public void WeakCopyIsRefusedWhenARelocationUsesTheVersion()
    {
        BuildDep(DepSource, DepScript);
        var user = BuildUser("libuser_call.so", UserCallSource);
        var dep2 = Assert.Single(ElfVersionNeeds.Read(user), n => n.Version == "DEP_2");
        Assert.True(dep2.RelocatedSymbols > 0);
        Assert.Contains("dep_two", dep2.Symbols);

        var patched = Path.Combine(_dir.FullName, "libuser_call.patched.so");
        var error = Assert.Throws<InvalidOperationException>(() => ElfVersionNeeds.WriteWeakCopy(user, patched, ["DEP_2"]));
        Assert.Contains("dep_two", error.Message, StringComparison.Ordinal);
        Assert.Contains("DEP_2", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(patched));
        Assert.False(File.Exists(patched + ".tmp"));
    }

    [Fact]
    public void UnneededVersionsAndNonElfFilesAreRejected()
    {
        BuildDep(DepSource, DepScript);
        var user = BuildUser("libuser_ref.so", UserRefSource);
        var patched = Path.Combine(_dir.FullName, "libuser_ref.patched.so");
        var error = Assert.Throws<InvalidOperationException>(() => ElfVersionNeeds.WriteWeakCopy(user, patched, ["NOPE_9"]));
        Assert.Contains("NOPE_9", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(patched));

        var text = Path.Combine(_dir.FullName, "notes.txt");
        File.WriteAllText(text, "not an ELF file, just some text that is longer than an ELF header would be....\n");
        Assert.Throws<InvalidDataException>(() => ElfVersionNeeds.Read(text));

        var elf32 = Path.Combine(_dir.FullName, "elf32.so");
        var header = new byte[64];
        header[0] = 0x7f;
        "ELF"u8.CopyTo(header.AsSpan(1));
        header[4] = 1;
        header[5] = 1;
        File.WriteAllBytes(elf32, header);
        Assert.Throws<InvalidDataException>(() => ElfVersionNeeds.Read(elf32));

        // Section headers live at the end of the file, so a truncated library points past its own end.
        var truncated = Path.Combine(_dir.FullName, "truncated.so");
        File.WriteAllBytes(truncated, File.ReadAllBytes(user).AsSpan(0, 512).ToArray());
        var truncation = Assert.Throws<InvalidDataException>(() => ElfVersionNeeds.Read(truncated));
        Assert.Contains("out of bounds", truncation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TorchSharpNeedsGlibcxx3432OnlyForAnUnrelocatedSymbol()
    {
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (string.IsNullOrEmpty(packages))
        {
            packages = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        }
        var library = Path.Combine(packages, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        if (!File.Exists(library))
        {
            return;
        }

        var need = Assert.Single(ElfVersionNeeds.Read(library), n => n.Version == "GLIBCXX_3.4.32");
        Assert.Equal("libstdc++.so.6", need.File);
        Assert.Equal(0, need.RelocatedSymbols);
        Assert.Contains("_ZSt21ios_base_library_initv", need.Symbols);
    }

    private void BuildDep(string source, string script)
    {
        File.WriteAllText(Path.Combine(_dir.FullName, "dep.c"), source);
        File.WriteAllText(Path.Combine(_dir.FullName, "dep.map"), script);
        Cc("-shared -fPIC -o libdep.so -Wl,-soname,libdep.so -Wl,--version-script,dep.map dep.c");
    }

    private string BuildUser(string name, string source)
    {
        var sourceFile = Path.ChangeExtension(name, ".c");
        File.WriteAllText(Path.Combine(_dir.FullName, sourceFile), source);
        Cc($"-shared -fPIC -o {name} {sourceFile} -L. -ldep -Wl,-rpath,$ORIGIN");
        return Path.Combine(_dir.FullName, name);
    }

    private void Cc(string args)
    {
        var startInfo = new ProcessStartInfo("cc", args)
        {
            WorkingDirectory = _dir.FullName,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException("could not start cc");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"cc {args} did not finish within 60 s");
        }
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"cc {args} failed with exit code {process.ExitCode}:\n{stderr.Result}{stdout.Result}");
        }
    }
}
