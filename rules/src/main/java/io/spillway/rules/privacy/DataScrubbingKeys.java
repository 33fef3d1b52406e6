package io.spillway.rules.privacy;

import java.util.List;

/** Span data and attribute keys Relay protects from destructive rules (prompts, tool calls and their results). */
final class DataScrubbingKeys {
  private DataScrubbingKeys() {}

  static final List<String> REPLACE_ONLY_DATA_KEYS = List.of("gen_ai.input.messages", "gen_ai.prompt",
      "gen_ai.request.messages", "gen_ai.tool.call.arguments", "gen_ai.tool.input", "gen_ai.tool.call.result",
      "gen_ai.tool.output", "gen_ai.output.messages", "gen_ai.response.tool_calls", "gen_ai.response.text",
      "gen_ai.response.object", "gen_ai.tool.definitions", "gen_ai.request.available_tools", "gen_ai.tool.name",
      "mcp.prompt.result", "mcp.tool.result.content");
}
