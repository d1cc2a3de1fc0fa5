" Vim syntax file
" Language: bp, the business-process language of bpc (.bp)
" The keyword lists follow grammar/lexer.l (and the unit words of durations,
" compiler/front/lex.c); tests/tools/editor_words.py checks that every keyword the
" scanner knows is here.
if exists("b:current_syntax")
  finish
endif

syn keyword bpDeclaration document action process param var const states command final enter
syn keyword bpStatement task approve review request notify log terminate goto reassign add throw
syn keyword bpConditional if else when
syn keyword bpRepeat while loop for break continue
syn keyword bpKeyword on start mode due remind after wait until parallel branch by in try catch
" words with a meaning in one place only (after `mode`, `remind`, `on`, `start on`, `wait`)
syn keyword bpKeyword any all majority vote before timeout every times create change message as
syn keyword bpOperator and or not
syn keyword bpBoolean true false
syn keyword bpType int decimal string bool date datetime duration user users list of

syn match bpComment "#.*$" contains=@Spell
syn match bpDuration "\<\d\+\(w\|d\|h\|m\)\(\d\+\(w\|d\|h\|m\)\)*\>"
syn match bpDate "\<\d\{4}-\d\{2}-\d\{2}\(T\d\{2}:\d\{2}\)\?\>"
syn match bpNumber "\<\d\+\(\.\d\+\)\?\>"
" a count and a unit word: `5 days` (after bpNumber, so that it wins over the count alone)
syn match bpDuration "\<\d\+[ \t]\+\(minutes\|minute\|hours\|hour\|days\|day\|weeks\|week\)\>"
syn match bpArrow "->"
syn region bpInterp matchgroup=bpInterpDelim start="{" end="}" contained contains=TOP
syn match bpEscape "\\." contained
syn match bpBraceEscape "{{\|}}" contained
syn region bpString start=+"+ skip=+\\"+ end=+"+ contains=bpEscape,bpBraceEscape,bpInterp

hi def link bpDeclaration Structure
hi def link bpStatement Statement
hi def link bpConditional Conditional
hi def link bpRepeat Repeat
hi def link bpKeyword Keyword
hi def link bpOperator Operator
hi def link bpBoolean Boolean
hi def link bpType Type
hi def link bpComment Comment
hi def link bpDuration Number
hi def link bpDate Number
hi def link bpNumber Number
hi def link bpArrow Operator
hi def link bpString String
hi def link bpEscape SpecialChar
hi def link bpBraceEscape SpecialChar
hi def link bpInterpDelim Delimiter

let b:current_syntax = "bp"
