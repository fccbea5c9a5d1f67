"""消息: conversations between the parties of a cooperation task, and merchant↔creator threads."""
