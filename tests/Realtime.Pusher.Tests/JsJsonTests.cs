using Newtonsoft.Json.Linq;
using Realtime.Pusher.Json;

namespace Realtime.Pusher.Tests;

/// <summary>JSON written exactly as JavaScript's JSON.stringify writes it.</summary>
public class JsJsonTests
{
    [Theory]
    [InlineData("plain", "\"plain\"")]
    [InlineData("q\"b\\s/", "\"q\\\"b\\\\s/\"")]
    [InlineData("\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\"")]
    [InlineData("\u0000\u001f\u007f", "\"\\u0000\\u001f\u007f\"")]
    [InlineData("\u2028\u2029\u0085", "\"\u2028\u2029\u0085\"")]
    [InlineData("😀é中", "\"😀é中\"")]
    public void Strings_are_escaped_like_json_stringify(string value, string expected)
    {
        Assert.Equal(expected, JsJson.Quote(value));
    }

    [Fact]
    public void Lone_surrogates_are_escaped_like_well_formed_json_stringify()
    {
        Assert.Equal("\"\\ud800x\\udc00\"", JsJson.Quote("\ud800x\udc00"));
        Assert.Equal("\"\ud83d\ude00\"", JsJson.Quote("\ud83d\ude00"));
    }

    [Theory]
    [InlineData(0.0, "0")]
    [InlineData(1.0, "1")]
    [InlineData(0.5, "0.5")]
    [InlineData(-1.25, "-1.25")]
    [InlineData(1e21, "1e+21")]
    [InlineData(1e20, "100000000000000000000")]
    [InlineData(1.5e-7, "1.5e-7")]
    [InlineData(1e-6, "0.000001")]
    [InlineData(123456789.125, "123456789.125")]
    [InlineData(0.30000000000000004, "0.30000000000000004")]
    [InlineData(1.7976931348623157e308, "1.7976931348623157e+308")]
    [InlineData(5e-324, "5e-324")]
    [InlineData(double.NaN, "null")]
    [InlineData(double.PositiveInfinity, "null")]
    public void Numbers_are_formatted_like_javascript(double value, string expected)
    {
        Assert.Equal(expected, JsJson.FormatNumber(value));
    }

    [Fact]
    public void Negative_zero_is_written_as_zero() => Assert.Equal("0", JsJson.FormatNumber(-0.0));

    [Fact]
    public void Objects_keep_property_order_and_have_no_whitespace()
    {
        Assert.Equal("{\"b\":1,\"a\":[true,null,\"x\"],\"c\":{}}", JsJson.Stringify(new { b = 1, a = new object?[] { true, null, "x" }, c = new { } }));
        Assert.Equal("{\"z\":2.5}", JsJson.Stringify(JObject.Parse("{ \"z\" : 2.5 }")));
    }

    [Fact]
    public void Parsing_keeps_date_like_strings_as_strings()
    {
        var token = JsJson.Parse("{\"t\":\"2024-01-01T00:00:00Z\"}");
        Assert.Equal(JTokenType.String, token["t"]!.Type);
        Assert.Equal("{\"t\":\"2024-01-01T00:00:00Z\"}", JsJson.Stringify(token));
    }
}
