using System.Collections;
using System.Reflection;
using Xunit.Sdk;

namespace WorkloadProfiles.Contracts.Tests;

/// <summary>
/// Structural equality for the domain records: records with IReadOnlyList members do not compare by value, so this
/// walks public properties and sequences, and names the first differing path.
/// </summary>
internal static class DeepEquality
{
    public static void AssertEqual(object? expected, object? actual, string path = "$")
    {
        if (expected is null || actual is null)
        {
            if (expected is not null || actual is not null) throw new XunitException($"{path}: expected {Show(expected)}, got {Show(actual)}");
            return;
        }

        var type = expected.GetType();
        if (type.IsPrimitive || type.IsEnum || expected is string or decimal)
        {
            var equal = expected is double d && actual is double a
                ? BitConverter.DoubleToInt64Bits(d) == BitConverter.DoubleToInt64Bits(a)
                : expected.Equals(actual);
            if (!equal) throw new XunitException($"{path}: expected {Show(expected)}, got {Show(actual)}");
            return;
        }

        if (expected is IDictionary<string, string> expectedMap)
        {
            // Maps are unordered: compare by key.
            if (actual is not IDictionary<string, string> actualMap) throw new XunitException($"{path}: expected a map, got {actual.GetType().Name}");
            AssertEqual(expectedMap.OrderBy(p => p.Key, StringComparer.Ordinal).ToList(), actualMap.OrderBy(p => p.Key, StringComparer.Ordinal).ToList(), path);
            return;
        }

        if (expected is IEnumerable expectedItems)
        {
            if (actual is not IEnumerable actualItems) throw new XunitException($"{path}: expected a sequence, got {actual.GetType().Name}");
            var e = expectedItems.Cast<object?>().ToList();
            var a = actualItems.Cast<object?>().ToList();
            if (e.Count != a.Count) throw new XunitException($"{path}: expected {e.Count} items, got {a.Count}");
            for (var i = 0; i < e.Count; i++) AssertEqual(e[i], a[i], $"{path}[{i}]");
            return;
        }

        if (actual.GetType() != type) throw new XunitException($"{path}: expected {type.Name}, got {actual.GetType().Name}");
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length > 0) continue;
            AssertEqual(property.GetValue(expected), property.GetValue(actual), $"{path}.{property.Name}");
        }
    }

    private static string Show(object? value) => value switch
    {
        null => "null",
        string s => $"\"{s}\"",
        _ => value.ToString() ?? "?",
    };
}
