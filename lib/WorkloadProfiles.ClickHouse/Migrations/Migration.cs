using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace WorkloadProfiles.ClickHouse.Migrations;

/// <summary>
/// One versioned schema change from <c>sql/migrations/NNN_name.sql</c>. Files under <c>sql/migrations/production/</c> are
/// production-only: they must declare <c>-- min-server-version: X.Y</c> and run only against a server at least that new.
/// </summary>
public sealed partial record Migration
{
    private const string ResourcePrefix = "migrations/";
    private const string ProductionFolder = "production/";

    public required int Version { get; init; }
    public required string Name { get; init; }
    public required string Sql { get; init; }
    /// <summary>Set for production-only migrations: the oldest server they may run on.</summary>
    public ServerVersion? MinServerVersion { get; init; }
    public bool IsProductionOnly => MinServerVersion is not null;

    /// <summary>SHA-256 of the file, recorded when applied so an edit to an applied migration is caught.</summary>
    public string Checksum => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Sql.ReplaceLineEndings("\n"))));

    public IReadOnlyList<string> Statements => SqlScript.Split(Sql);

    /// <param name="path">The path below <c>sql/migrations/</c>, e.g. <c>001_profiles.sql</c> or <c>production/101_x.sql</c>.</param>
    public static Migration Parse(string path, string sql)
    {
        var production = path.StartsWith(ProductionFolder, StringComparison.Ordinal);
        var fileName = production ? path[ProductionFolder.Length..] : path;
        var match = FileNamePattern().Match(fileName);
        if (!match.Success)
        {
            throw new FormatException($"Migration '{path}' is not named NNN_name.sql.");
        }
        var headerMatch = MinServerVersionHeader().Match(sql);
        ServerVersion? minVersion = headerMatch.Success ? ServerVersion.Parse(headerMatch.Groups[1].Value) : null;
        if (production && minVersion is null)
        {
            throw new FormatException($"Production migration '{path}' must declare '-- min-server-version: X.Y'.");
        }
        if (!production && minVersion is not null)
        {
            throw new FormatException($"Migration '{path}' declares a minimum server version but is not under {ProductionFolder}.");
        }
        return new Migration
        {
            Version = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture),
            Name = match.Groups[2].Value,
            Sql = sql,
            MinServerVersion = minVersion,
        };
    }

    /// <summary>The migrations embedded in this assembly (from <c>sql/migrations</c>), in version order.</summary>
    public static IReadOnlyList<Migration> LoadEmbedded()
    {
        var assembly = typeof(Migration).Assembly;
        var migrations = assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Select(n => Parse(n[ResourcePrefix.Length..].Replace('\\', '/'), ReadResource(assembly, n)))
            .OrderBy(m => m.Version)
            .ToList();
        var duplicate = migrations.GroupBy(m => m.Version).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidOperationException(
                $"Migration version {duplicate.Key} is used twice: {string.Join(", ", duplicate.Select(m => m.Name))}.");
        }
        return migrations;
    }

    private static string ReadResource(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    [GeneratedRegex(@"^(\d{3,})_([A-Za-z0-9_]+)\.sql$")]
    private static partial Regex FileNamePattern();

    [GeneratedRegex(@"^--\s*min-server-version:\s*([0-9.]+)\s*$", RegexOptions.Multiline)]
    private static partial Regex MinServerVersionHeader();
}
