namespace Conpaas.CloudAgents; public static class Placeholder {}
