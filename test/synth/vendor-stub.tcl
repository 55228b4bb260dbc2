# Stand-in for the Vivado and Quartus Tcl shells, to check gen-rtl's vendor scripts where the
# tools are not installed (test/synth/vendor-scripts.test.ts):
#
#   tclsh vendor-stub.tcl LOG vivado|quartus SCRIPT [ARG...]
#
# Each vendor command the scripts may call is a proc that appends one line to LOG: the working
# directory, the command and its arguments, tab-separated (tab, newline and backslash escaped).
# A command that reads a file fails unless the file exists (relative paths against the working
# directory, as both tools resolve them); one that writes a file fails unless its directory does.
# Any other command fails the run, so a misspelled command cannot pass, and so do Tcl 8.6-only
# commands (Vivado and Quartus embed Tcl 8.5). The script runs with `source`, so `info script`
# is its path, and with the ARGs as Vivado's argv (-tclargs) or Quartus' quartus(args).

if {$argc < 3} {
  puts stderr "usage: tclsh vendor-stub.tcl LOG vivado|quartus SCRIPT \[ARG...\]"
  exit 2
}
set stub_log [open [lindex $argv 0] a]
set stub_tool [lindex $argv 1]
set stub_script [lindex $argv 2]
set stub_args [lrange $argv 3 end]

proc stub_escape {s} { string map [list \\ \\\\ \t \\t \n \\n] $s }

proc stub_record {kind name args} {
  set fields [list $kind [pwd] $name]
  foreach a $args { lappend fields $a }
  set line {}
  foreach f $fields { lappend line [stub_escape $f] }
  puts $::stub_log [join $line \t]
  flush $::stub_log
}

proc stub_fail {msg} {
  stub_record FAIL $msg
  error "stub: $msg"
}

# A command's call, recorded under its fully qualified name (without the leading ::).
proc stub_call {args} {
  set name [string trimleft [lindex [info level -1] 0] :]
  stub_record CALL $name {*}$args
}

proc stub_must_exist {what path} {
  if {![file exists $path]} { stub_fail "$what: no such file: $path (working directory [pwd])" }
}

proc stub_must_be_writable {what path} {
  set dir [file dirname [file normalize $path]]
  if {![file isdirectory $dir]} { stub_fail "$what: directory does not exist for $path" }
  close [open $path w]
}

# The words of args that are not options (and not the values of options in `valued`).
proc stub_operands {arglist valued} {
  set out {}
  for {set i 0} {$i < [llength $arglist]} {incr i} {
    set a [lindex $arglist $i]
    if {[string match -* $a]} {
      if {$a in $valued} { incr i }
    } else {
      lappend out $a
    }
  }
  return $out
}

proc stub_option {arglist name} {
  set i [lsearch -exact $arglist $name]
  if {$i < 0 || $i + 1 >= [llength $arglist]} { return {} }
  return [lindex $arglist [expr {$i + 1}]]
}

# Vivado and Quartus embed Tcl 8.5: scripts must not depend on what 8.6 added.
foreach cmd {lmap try throw tailcall coroutine yield yieldto zlib} {
  if {[llength [info commands ::$cmd]] > 0} { rename ::$cmd {} }
}

proc unknown {args} {
  stub_fail "unknown command: [lindex $args 0]"
}

# ---------------------------------------------------------------------------------------------
# Vivado

proc stub_define_vivado {} {
  namespace eval ::ipx {}
  proc ::read_verilog {args} {
    stub_call {*}$args
    foreach f [concat {*}[stub_operands $args {-library}]] { stub_must_exist read_verilog $f }
  }
  proc ::read_xdc {args} {
    stub_call {*}$args
    foreach f [concat {*}[stub_operands $args {-ref -cells}]] { stub_must_exist read_xdc $f }
  }
  proc ::read_mem {args} {
    stub_call {*}$args
    foreach f [concat {*}[stub_operands $args {}]] { stub_must_exist read_mem $f }
  }
  proc ::add_files {args} {
    stub_call {*}$args
    foreach f [concat {*}[stub_operands $args {-fileset -of_objects}]] { stub_must_exist add_files $f }
  }
  proc ::synth_design {args} {
    stub_call {*}$args
    foreach opt {-top -part} {
      if {[stub_option $args $opt] eq {}} { stub_fail "synth_design: $opt missing" }
    }
  }
  foreach cmd {opt_design place_design phys_opt_design route_design update_compile_order close_project ipx::create_xgui_files ipx::update_checksums ipx::check_integrity ipx::save_core} {
    proc ::$cmd {args} { stub_call {*}$args }
  }
  foreach cmd {report_utilization report_timing_summary report_timing report_drc report_power report_clock_utilization} {
    proc ::$cmd {args} {
      stub_call {*}$args
      set f [stub_option $args -file]
      if {$f ne {}} { stub_must_be_writable [lindex [info level 0] 0] $f }
    }
  }
  foreach cmd {write_checkpoint write_bitstream write_verilog write_edif} {
    proc ::$cmd {args} {
      stub_call {*}$args
      set ops [stub_operands $args {-cell}]
      if {[llength $ops] != 1} { stub_fail "[lindex [info level 0] 0]: expected one file, got $ops" }
      stub_must_be_writable [lindex [info level 0] 0] [lindex $ops 0]
    }
  }
  proc ::set_property {args} {
    stub_call {*}$args
    if {[llength [stub_operands $args {-dict}]] < 2 && [lsearch -exact $args -dict] < 0} { stub_fail "set_property: needs a property, a value and objects" }
  }
  proc ::get_drc_checks {args} { stub_call {*}$args; return "drc:[lindex $args end]" }
  proc ::get_files {args} { stub_call {*}$args; return [concat {*}[stub_operands $args {-of_objects -filter}]] }
  proc ::current_fileset {args} { stub_call {*}$args; return sources_1 }
  proc ::create_project {args} {
    stub_call {*}$args
    set ops [stub_operands $args {-part -ip}]
    if {[llength $ops] != 2} { stub_fail "create_project: expected a name and a directory, got $ops" }
    if {[stub_option $args -part] eq {}} { stub_fail "create_project: -part missing" }
    file mkdir [lindex $ops 1]
  }

  set ::ipx_root {}
  set ::ipx_bifs {}
  set ::ipx_files {}
  proc ::ipx::package_project {args} {
    stub_call {*}$args
    set root [stub_option $args -root_dir]
    if {$root eq {} || ![file isdirectory $root]} { stub_fail "ipx::package_project: -root_dir missing or not a directory: $root" }
    set ::ipx_root $root
    # What inference leaves behind, for the script to clear.
    set ::ipx_bifs {S_AXIS M_AXIS CLK RST_N}
  }
  proc ::ipx::current_core {args} { stub_call {*}$args; return core }
  proc ::ipx::remove_all_bus_interface {args} { stub_call {*}$args; set ::ipx_bifs {} }
  proc ::ipx::add_bus_interface {name core} {
    stub_call $name $core
    if {$name in $::ipx_bifs} { stub_fail "ipx::add_bus_interface: $name exists" }
    lappend ::ipx_bifs $name
    return "bif:$name"
  }
  proc ::ipx::get_bus_interfaces {args} {
    stub_call {*}$args
    set out {}
    foreach b $::ipx_bifs { lappend out "bif:$b" }
    return $out
  }
  proc ::ipx::add_port_map {logical bif} { stub_call $logical $bif; return "portmap:$bif:$logical" }
  proc ::ipx::add_bus_parameter {name bif} { stub_call $name $bif; return "busparam:$bif:$name" }
  proc ::ipx::get_file_groups {args} {
    stub_call {*}$args
    return "filegroup:[lindex [stub_operands $args {-of_objects}] 0]"
  }
  proc ::ipx::get_files {args} {
    stub_call {*}$args
    set f [lindex [stub_operands $args {-of_objects}] 0]
    set fg [stub_option $args -of_objects]
    if {[list $fg $f] in $::ipx_files} { return "file:$fg:$f" }
    return {}
  }
  proc ::ipx::add_file {f fg} {
    stub_call $f $fg
    if {$::ipx_root eq {}} { stub_fail "ipx::add_file before ipx::package_project" }
    stub_must_exist ipx::add_file [file join $::ipx_root $f]
    lappend ::ipx_files [list $fg $f]
    return "file:$fg:$f"
  }
}

# ---------------------------------------------------------------------------------------------
# Quartus (quartus_sh -t)

proc stub_define_quartus {} {
  set ::quartus(args) $::stub_args
  set ::quartus_project {}
  proc ::load_package {args} {
    stub_call {*}$args
    if {[lindex $args end] ni {flow project report misc}} { stub_fail "load_package: unknown package [lindex $args end]" }
  }
  proc ::project_new {args} {
    stub_call {*}$args
    set ops [stub_operands $args {-revision -family -part}]
    if {[llength $ops] != 1} { stub_fail "project_new: expected one project name, got $ops" }
    if {$::quartus_project ne {}} { stub_fail "project_new: project $::quartus_project is open" }
    set ::quartus_project [lindex $ops 0]
  }
  proc ::project_open {args} {
    stub_call {*}$args
    set ::quartus_project [lindex [stub_operands $args {-revision}] 0]
  }
  proc ::project_exists {args} { stub_call {*}$args; return 0 }
  proc ::project_close {args} {
    stub_call {*}$args
    if {$::quartus_project eq {}} { stub_fail "project_close: no project open" }
    set ::quartus_project {}
  }
  proc ::stub_need_project {what} {
    if {$::quartus_project eq {}} { stub_fail "$what: no project open" }
  }
  proc ::set_global_assignment {args} {
    stub_call {*}$args
    stub_need_project set_global_assignment
    set name [stub_option $args -name]
    set value [lindex [stub_operands $args {-name -section_id -entity -tag -comment}] 0]
    if {$name eq {}} { stub_fail "set_global_assignment: -name missing" }
    switch -- $name {
      VERILOG_FILE - SYSTEMVERILOG_FILE - VHDL_FILE - SDC_FILE - QIP_FILE - TCL_SCRIPT_FILE - HEX_FILE - MIF_FILE {
        stub_must_exist "set_global_assignment -name $name" $value
      }
      SEARCH_PATH {
        foreach d [split $value ";"] {
          if {![file isdirectory $d]} { stub_fail "set_global_assignment -name SEARCH_PATH: not a directory: $d" }
        }
      }
    }
  }
  foreach cmd {set_instance_assignment set_location_assignment export_assignments} {
    proc ::$cmd {args} { stub_call {*}$args; stub_need_project [lindex [info level 0] 0] }
  }
  proc ::execute_flow {args} {
    stub_call {*}$args
    stub_need_project execute_flow
    if {[lindex $args 0] ni {-compile -analysis_and_elaboration -implement -finalize}} { stub_fail "execute_flow: unknown flow $args" }
  }
  proc ::execute_module {args} {
    stub_call {*}$args
    stub_need_project execute_module
    if {[stub_option $args -tool] ni {map syn fit asm sta eda}} { stub_fail "execute_module: unknown -tool in $args" }
  }
}

switch -- $stub_tool {
  vivado { stub_define_vivado }
  quartus { stub_define_quartus }
  default {
    puts stderr "vendor-stub.tcl: tool must be vivado or quartus, got $stub_tool"
    exit 2
  }
}

set argv $stub_args
set argc [llength $stub_args]
set argv0 $stub_script
if {[catch {uplevel #0 [list source $stub_script]} msg opts]} {
  stub_record ERROR $msg
  puts stderr "vendor-stub.tcl: $stub_script: $msg\n[dict get $opts -errorinfo]"
  exit 1
}
stub_record DONE $stub_script
exit 0
