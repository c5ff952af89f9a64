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
; IT deploys for all users with /ALLUSERS (administrator); see ORGCONFIG below and packaging/README.md.
PrivilegesRequiredOverridesAllowed=commandline
OutputDir=..\..\dist
OutputBaseFilename=ccdesk-{#AppVersion}-setup
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
UninstallDisplayIcon={app}\ccdesk.exe
SetupIconFile=..\..\resources\ccdesk.ico
ArchitecturesInstallIn64BitMode=x64compatible

[Files]
Source: "..\..\dist\ccdesk\*"; DestDir: "{app}"; Flags: recursesubdirs ignoreversion
; The organisation's settings: setup.exe /ORGCONFIG="\\server\it\ccdesk-preferences.json" copies that file to the
; machine-wide folder ccdesk reads at start (C:\ProgramData\ccdesk\preferences.json). Kept on uninstall.
Source: "{param:ORGCONFIG}"; DestDir: "{commonappdata}\ccdesk"; DestName: "preferences.json"; Flags: external ignoreversion uninsneveruninstall; Check: HasOrgConfig

[Icons]
Name: "{userprograms}\ccdesk"; Filename: "{app}\ccdesk.exe"
Name: "{userdesktop}\ccdesk"; Filename: "{app}\ccdesk.exe"; Tasks: desktopicon

[Tasks]
Name: desktopicon; Description: "Create a desktop shortcut"; Flags: unchecked

[Run]
Filename: "{app}\ccdesk.exe"; Description: "Start ccdesk"; Flags: nowait postinstall skipifsilent

[Code]
function HasOrgConfig: Boolean;
begin
  Result := ExpandConstant('{param:ORGCONFIG|}') <> '';
end;
