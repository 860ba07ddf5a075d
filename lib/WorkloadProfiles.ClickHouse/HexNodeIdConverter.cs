using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace WorkloadProfiles.ClickHouse;

/// <summary>
/// Reads a node id the <c>*_latest</c> views show as 16 lower-case hex digits into a <see cref="ulong"/> (or
/// <see cref="Nullable{T}"/> of it). Put it on a row's property: the default number handling would read an all-digit hex
/// id such as <c>0000000000001002</c> as the decimal 1002.
/// </summary>
public sealed class HexNodeIdConverter : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) => typeToConvert == typeof(ulong) || typeToConvert == typeof(ulong?);

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        typeToConvert == typeof(ulong) ? new Required() : new Optional();

    static ulong Parse(ref Utf8JsonReader reader)
    {
        var text = reader.GetString();
        return text is { Length: 16 } && ulong.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var id)
            ? id
            : throw new JsonException($"'{text}' is not a node id (16 hex digits)");
    }

    static void Write(Utf8JsonWriter writer, ulong value) => writer.WriteStringValue(value.ToString("x16", CultureInfo.InvariantCulture));

    sealed class Required : JsonConverter<ulong>
    {
        public override ulong Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => Parse(ref reader);

        public override void Write(Utf8JsonWriter writer, ulong value, JsonSerializerOptions options) => HexNodeIdConverter.Write(writer, value);
    }

    sealed class Optional : JsonConverter<ulong?>
    {
        public override bool HandleNull => true;

        public override ulong? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.Null ? null : Parse(ref reader);

        public override void Write(Utf8JsonWriter writer, ulong? value, JsonSerializerOptions options)
        {
            if (value is { } id) HexNodeIdConverter.Write(writer, id);
            else writer.WriteNullValue();
        }
    }
}
