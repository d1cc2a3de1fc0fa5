" Vim syntax file
" Language: bpc scenarios (.scn), read by `bprun test`
" The words follow runtime/bprun/scn.c; tests/editors.sh checks them.
if exists("b:current_syntax")
  finish
endif

syn keyword scnCommand start create use approve reject complete command set advance clock
syn keyword scnCommand answer fail message signal expect items show help
syn keyword scnExpect task no completed terminated waiting failed notified journal state
syn keyword scnExpect called error overdue
syn keyword scnType int decimal string bool date datetime duration user users none

syn match scnComment "#.*$" contains=@Spell
syn match scnDuration "\<\d\+\(w\|d\|h\|m\)\(\d\+\(w\|d\|h\|m\)\)*\>"
syn match scnDate "\<\d\{4}-\d\{2}-\d\{2}\(T\d\{2}:\d\{2}\)\?\>"
syn match scnNumber "\<\d\+\(\.\d\+\)\?\>"
syn match scnName "\<[A-Za-z_][A-Za-z0-9_]*\ze="
syn region scnString start=+"+ skip=+\\"+ end=+"+

hi def link scnCommand Statement
hi def link scnExpect Keyword
hi def link scnType Type
hi def link scnComment Comment
hi def link scnDuration Number
hi def link scnDate Number
hi def link scnNumber Number
hi def link scnName Identifier
hi def link scnString String

let b:current_syntax = "scn"
