namespace Realtime.Testing; internal static class Placeholder { }
