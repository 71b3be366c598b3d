using Microsoft.Extensions.FileProviders;

namespace Realtime.Relay.WebConsole;

/// <summary>
/// The console at <c>/console</c>: plain HTML/JS/CSS shipped next to the relay's dll
/// (<c>console/</c>, copied by the project file, pusher-js included), so it works offline and
/// with no CDN. Every page path answers the same <c>index.html</c>; the script picks the page.
/// The API it calls is the relay's own, authorized by the platform JWT the user signs in with.
/// </summary>
public static class WebConsoleSetup
{
    public const string BasePath = "/console";

    /// <summary>The console's pages; <c>/console</c> itself opens the first.</summary>
    public static readonly string[] Pages = ["pair", "plugins", "games", "inspector"];

    public static string AssetsDirectory => Path.Combine(AppContext.BaseDirectory, "console");

    public static IServiceCollection AddConsole(this IServiceCollection services) => services;

    public static WebApplication MapConsole(this WebApplication app)
    {
        var assets = new PhysicalFileProvider(AssetsDirectory);
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = assets,
            RequestPath = BasePath,
            OnPrepareResponse = ctx => AddSecurityHeaders(ctx.Context.Response),
        });

        var index = Path.Combine(AssetsDirectory, "index.html");
        IResult Page(HttpContext http)
        {
            AddSecurityHeaders(http.Response);
            // The page holds no data (the script fetches it with the user's token): never cache a stale shell.
            http.Response.Headers.CacheControl = "no-store";
            return Results.File(index, "text/html; charset=utf-8");
        }
        app.MapGet(BasePath, Page).ExcludeFromDescription();
        foreach (var page in Pages) app.MapGet($"{BasePath}/{page}", Page).ExcludeFromDescription();
        return app;
    }

    /// <summary>
    /// Scripts only from the relay itself (no inline script, so an injected string cannot run);
    /// connections anywhere, since Pusher's host is wherever the relay's /api/v1/info says.
    /// </summary>
    private static void AddSecurityHeaders(HttpResponse response)
    {
        response.Headers.ContentSecurityPolicy =
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' https: wss: http: ws:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers["Referrer-Policy"] = "no-referrer";
    }
}
