using System.Globalization;

namespace WorkloadProfiles.ClickHouse;

/// <summary>A ClickHouse server version as <c>SELECT version()</c> prints it (<c>18.16.1</c>, <c>24.8.4.13</c>), compared numerically.</summary>
public readonly record struct ServerVersion(int Major, int Minor, int Patch = 0, int Build = 0) : IComparable<ServerVersion>
{
    public static ServerVersion Parse(string text) =>
        TryParse(text, out var version) ? version : throw new FormatException($"'{text}' is not a ClickHouse version (expected e.g. 18.16.1).");

    public static bool TryParse(string? text, out ServerVersion version)
    {
        version = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var parts = text.Trim().Split('.');
        if (parts.Length is < 2 or > 4) return false;
        Span<int> numbers = stackalloc int[4];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out numbers[i])) return false;
        }
        version = new ServerVersion(numbers[0], numbers[1], numbers[2], numbers[3]);
        return true;
    }

    public int CompareTo(ServerVersion other)
    {
        var c = Major.CompareTo(other.Major);
        if (c == 0) c = Minor.CompareTo(other.Minor);
        if (c == 0) c = Patch.CompareTo(other.Patch);
        return c != 0 ? c : Build.CompareTo(other.Build);
    }

    public static bool operator <(ServerVersion left, ServerVersion right) => left.CompareTo(right) < 0;
    public static bool operator >(ServerVersion left, ServerVersion right) => left.CompareTo(right) > 0;
    public static bool operator <=(ServerVersion left, ServerVersion right) => left.CompareTo(right) <= 0;
    public static bool operator >=(ServerVersion left, ServerVersion right) => left.CompareTo(right) >= 0;

    public override string ToString() =>
        Build != 0 ? $"{Major}.{Minor}.{Patch}.{Build}" : $"{Major}.{Minor}.{Patch}";
}
