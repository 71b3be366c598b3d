using Newtonsoft.Json;

namespace Realtime.Relay.Infrastructure;

/// <summary>
/// Reads a <c>long?</c> only from a JSON integer (or null). Newtonsoft would otherwise round
/// 1.5 and parse "123"; an id that is not a whole number is the client's mistake, so it fails
/// binding and the answer is a 400 naming the field.
/// </summary>
public sealed class StrictIntegerConverter : JsonConverter<long?>
{
    public override long? ReadJson(JsonReader reader, Type objectType, long? existingValue, bool hasExistingValue, JsonSerializer serializer) =>
        reader.TokenType switch
        {
            JsonToken.Null => null,
            JsonToken.Integer when reader.Value is long l => l,
            JsonToken.Integer when reader.Value is System.Numerics.BigInteger => throw new JsonSerializationException("The number is too large."),
            JsonToken.Integer => Convert.ToInt64(reader.Value, System.Globalization.CultureInfo.InvariantCulture),
            _ => throw new JsonSerializationException("Expected a whole number."),
        };

    public override void WriteJson(JsonWriter writer, long? value, JsonSerializer serializer) => writer.WriteValue(value);
}
