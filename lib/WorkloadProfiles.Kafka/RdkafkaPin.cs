using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace WorkloadProfiles.Kafka;

/// <summary>
/// Pins Confluent.Kafka, and this assembly's own P/Invokes into librdkafka, to the build shipped in
/// <c>librdkafka.redist</c> as <c>runtimes/linux-x64/native/centos8-librdkafka.so</c> (2.16.0, needs only glibc).
/// </summary>
/// <remarks>
/// Without the pin, on Debian the redist's default <c>librdkafka.so</c> fails to load (it needs <c>libsasl2.so.3</c>)
/// and the runtime silently falls back to Debian's 2.0.2, which lacks symbols Confluent.Kafka 2.16 calls
/// (consumers then fail with <c>EntryPointNotFoundException</c>). The pin installs a <see cref="DllImportResolver"/>,
/// so it must run before the first Kafka client is built: this assembly's module initializer runs it when the assembly
/// loads, and every executable and test project referencing this library gets its own module initializer calling
/// <see cref="Ensure"/> (Directory.Build.targets), so a process that touches Confluent.Kafka first is still pinned.
/// <para>
/// Override with the environment variable <c>WP_RDKAFKA_LIB</c>: <c>system</c> leaves native resolution to the runtime,
/// any other value is the path of the librdkafka shared object to load.
/// </para>
/// </remarks>
public static class RdkafkaPin
{
    /// <summary>Environment variable that overrides which librdkafka is loaded.</summary>
    public const string OverrideVariable = "WP_RDKAFKA_LIB";

    /// <summary>The librdkafka version the redist build carries and this project is tested against.</summary>
    public const string ExpectedVersion = "2.16.0";

    const string RedistRelativePath = "runtimes/linux-x64/native/centos8-librdkafka.so";

    static readonly Lock Gate = new();
    static bool _attempted;
    static string? _failure;
    static string? _libraryPath;
    static IntPtr _handle;

    /// <summary>Path of the pinned library, or null when the runtime resolves librdkafka itself.</summary>
    public static string? LibraryPath
    {
        get
        {
            Pin();
            return _libraryPath;
        }
    }

    /// <summary>
    /// Installs the pin if it is not installed yet; throws when the pinned library cannot be found or loaded, so a process
    /// fails at start with a clear reason rather than later with a missing-entry-point error from the wrong librdkafka.
    /// </summary>
    public static void Ensure()
    {
        Pin();
        if (_failure is not null)
        {
            throw new InvalidOperationException(_failure);
        }
    }

    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255", Justification = "The pin must precede any Confluent.Kafka client the host builds.")]
    internal static void Initialize() => Pin();

    static void Pin()
    {
        lock (Gate)
        {
            if (_attempted)
            {
                return;
            }

            _attempted = true;
            _failure = TryPin();
        }
    }

    static string? TryPin()
    {
        var choice = Environment.GetEnvironmentVariable(OverrideVariable);
        if (string.Equals(choice, "system", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        string path;
        if (!string.IsNullOrEmpty(choice))
        {
            path = Path.GetFullPath(choice);
            if (!File.Exists(path))
            {
                return $"{OverrideVariable}={choice}: no such file.";
            }
        }
        else
        {
            // The redist only ships the centos8 build for linux-x64; elsewhere the runtime's own resolution is right.
            if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
            {
                return null;
            }

            // A framework-dependent build keeps the redist's runtimes/ tree; a native AOT publish puts the library beside the executable.
            var found = CandidateDirectories()
                .SelectMany(d => new[] { Path.Combine(d, RedistRelativePath), Path.Combine(d, Path.GetFileName(RedistRelativePath)) })
                .FirstOrDefault(File.Exists);
            if (found is null)
            {
                return $"librdkafka {ExpectedVersion} not found at {RedistRelativePath} (or beside the executable) under {string.Join(" or ", CandidateDirectories())}. " +
                       $"Reference the librdkafka.redist package from the executable, or set {OverrideVariable} to a librdkafka path (or 'system').";
            }

            path = found;
        }

        try
        {
            _handle = NativeLibrary.Load(path);
        }
        catch (DllNotFoundException e)
        {
            return $"Could not load librdkafka from {path}: {e.Message}";
        }

        _libraryPath = path;
        InstallResolver(typeof(Confluent.Kafka.Library).Assembly);
        InstallResolver(typeof(RdkafkaPin).Assembly);
        return null;
    }

    [UnconditionalSuppressMessage("SingleFile", "IL3000", Justification = "Empty in a native (AOT) executable, which then looks beside itself only")]
    static IEnumerable<string> CandidateDirectories()
    {
        yield return AppContext.BaseDirectory;
        var own = Path.GetDirectoryName(typeof(RdkafkaPin).Assembly.Location);
        if (!string.IsNullOrEmpty(own) && !string.Equals(Path.GetFullPath(own + "/"), Path.GetFullPath(AppContext.BaseDirectory), StringComparison.Ordinal))
        {
            yield return own;
        }
    }

    static void InstallResolver(Assembly assembly)
    {
        try
        {
            NativeLibrary.SetDllImportResolver(assembly, Resolve);
        }
        catch (InvalidOperationException)
        {
            // The host installed its own resolver for this assembly; it owns native resolution then.
        }
    }

    // Confluent.Kafka asks for "librdkafka" and, on some distributions, variant names such as "centos8-librdkafka.so".
    static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath) =>
        name.Contains("rdkafka", StringComparison.Ordinal) ? _handle : IntPtr.Zero;
}
