configuration "extract" { command = ["sh", "extract.sh"] }
