using System.Security.Cryptography;
using System.Text;

namespace WorkloadProfiles.Explorer.Security;

/// <summary>The one bearer token of this explorer: configured, or generated for the lifetime of the process.</summary>
public sealed class ExplorerToken
{
    private readonly byte[] digest;

    private ExplorerToken(string value, bool generated)
    {
        Value = value;
        Generated = generated;
        digest = SHA256.HashData(Encoding.UTF8.GetBytes(value));
    }

    public string Value { get; }

    /// <summary>True when no token was configured and this one was made at start (it is printed so the operator can use it).</summary>
    public bool Generated { get; }

    public static ExplorerToken From(ExplorerOptions options) =>
        string.IsNullOrEmpty(options.Token)
            ? new ExplorerToken(Base64Url(RandomNumberGenerator.GetBytes(32)), generated: true)
            : new ExplorerToken(options.Token, generated: false);

    /// <summary>Constant-time comparison: both sides are hashed first, so neither content nor length leaks through timing.</summary>
    public bool Matches(ReadOnlySpan<char> candidate)
    {
        Span<byte> candidateDigest = stackalloc byte[SHA256.HashSizeInBytes];
        var bytes = Encoding.UTF8.GetBytes(candidate.ToArray());
        SHA256.HashData(bytes, candidateDigest);
        return CryptographicOperations.FixedTimeEquals(candidateDigest, digest);
    }

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
