from modellix_typed.codegen.cli import main

main(prog_name="python -m modellix_typed.codegen")
