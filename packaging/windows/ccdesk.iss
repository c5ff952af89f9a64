; Inno Setup script: a per-user install (no administrator rights) of the PyInstaller folder built on Windows
; with `pyinstaller --noconfirm packaging\ccdesk.spec` (dist\ccdesk\). Build: iscc packaging\windows\ccdesk.iss
#define AppVersion GetEnv("CCDESK_VERSION")

[Setup]
AppId={{6C1B3C2E-2D5B-4E1A-9E55-6B0C2E7D4C11}
AppName=ccdesk
AppVersion={#AppVersion}
AppPublisher=ccdesk developers
DefaultDirName={localappdata}\Programs\ccdesk
DefaultGroupName=ccdesk
PrivilegesRequired=lowest
OutputDir=..\..\dist
OutputBaseFilename=ccdesk-{#AppVersion}-setup
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
UninstallDisplayIcon={app}\ccdesk.exe
ArchitecturesInstallIn64BitMode=x64compatible

[Files]
Source: "..\..\dist\ccdesk\*"; DestDir: "{app}"; Flags: recursesubdirs ignoreversion

[Icons]
Name: "{userprograms}\ccdesk"; Filename: "{app}\ccdesk.exe"
Name: "{userdesktop}\ccdesk"; Filename: "{app}\ccdesk.exe"; Tasks: desktopicon

[Tasks]
Name: desktopicon; Description: "Create a desktop shortcut"; Flags: unchecked

[Run]
Filename: "{app}\ccdesk.exe"; Description: "Start ccdesk"; Flags: nowait postinstall skipifsilent
