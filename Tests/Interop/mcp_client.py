"""Drives `quarry mcp` with the official MCP Python SDK (PyPI mcp==2.3.0).

Usage: mcp_client.py QUARRY_BINARY REPOSITORY
For each connection mode (legacy handshake, auto, 2026-07-28) it lists the
tools, calls search and checks a result, and checks that an unknown tool
raises. Prints one line per mode; exits non-zero on the first failure.
"""
import asyncio
import sys

from mcp import Client, MCPError, StdioServerParameters


async def check(binary: str, repository: str, mode: str) -> None:
    server = StdioServerParameters(command=binary, args=["mcp", "--repo", repository])
    async with Client(server, mode=mode) as client:
        expected = "2025-11-25" if mode == "legacy" else "2026-07-28"
        assert client.protocol_version == expected, (mode, client.protocol_version)
        tools = await client.list_tools()
        names = sorted(tool.name for tool in tools.tools)
        assert names == ["read", "refresh", "search", "status"], names
        assert all(tool.output_schema for tool in tools.tools), "every tool declares an output schema"
        result = await client.call_tool("search", {"query": "where is the password checked", "limit": 3})
        assert not result.is_error, result
        hits = result.structured_content["results"]
        assert hits and hits[0]["path"] == "src/auth.py", hits
        assert "login_user" in result.content[0].text
        status = await client.call_tool("status", {})
        assert status.structured_content["chunks"] > 0, status
        try:
            await client.call_tool("no_such_tool", {})
        except MCPError as error:
            assert "no_such_tool" in str(error), error
        else:
            raise AssertionError("an unknown tool did not raise")
    print(f"mode {mode}: protocol {expected}, {len(names)} tools, top hit {hits[0]['path']}:{hits[0]['start_line']}, unknown tool raised")


async def main() -> None:
    binary, repository = sys.argv[1], sys.argv[2]
    for mode in ("legacy", "auto", "2026-07-28"):
        await check(binary, repository, mode)


asyncio.run(main())
